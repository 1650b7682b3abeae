using Microsoft.Data.Sqlite;

namespace Dpr.Actors.Journal;

/// <summary>
/// A journal outage for fault injection, on the SQLite journal: another writer holds a write
/// transaction (<c>BEGIN IMMEDIATE</c>) on the journal, the regions journal and the snapshot store for
/// a while, as a backup tool or a <c>sqlite3</c> shell left open would. In WAL mode readers go on. The
/// journals' writes wait: under 10 s they go through late; past it Akka.Persistence's write circuit
/// breaker reports them failed although Microsoft.Data.Sqlite still retries them until 30 s (so a
/// write reported failed may be on record after all); past 30 s they fail. The service must survive
/// each. Nothing is changed in the files.
/// </summary>
public sealed class SqliteJournalOutage(JournalSettings journal, TimeProvider time) : IDisposable
{
    private readonly Lock _lock = new();
    private List<SqliteConnection>? _held;
    private ITimer? _timer;

    /// <summary>When the outage under way ends; null when there is none.</summary>
    public DateTimeOffset? Until { get; private set; }

    /// <summary>Told when an outage ends by itself (not by <see cref="End"/>).</summary>
    public event Action? Ended;

    /// <summary>Takes the three write locks for <paramref name="duration"/>.</summary>
    /// <returns>When the outage ends.</returns>
    /// <exception cref="InvalidOperationException">An outage is under way already, or the journal is not SQLite.</exception>
    /// <exception cref="SqliteException">A lock could not be taken within 5 s (a journal write held it): nothing is held.</exception>
    public DateTimeOffset Start(TimeSpan duration)
    {
        if (journal.Provider != JournalProvider.Sqlite)
        {
            throw new InvalidOperationException($"a journal outage is simulated on the SQLite journal only, not {journal.Provider}");
        }
        lock (_lock)
        {
            if (Until is { } until)
            {
                throw new InvalidOperationException($"a journal outage is under way until {until:O}");
            }
            var held = new List<SqliteConnection>();
            try
            {
                foreach (var database in new[] { journal.ConnectionString, journal.RegionsConnectionString, journal.SnapshotConnectionString })
                {
                    // Its own connection, not one from the journals' pool, and a short wait for a write under way.
                    var connection = new SqliteConnection(new SqliteConnectionStringBuilder(database) { Pooling = false, DefaultTimeout = 5 }.ToString());
                    held.Add(connection);
                    connection.Open();
                    using var begin = connection.CreateCommand();
                    begin.CommandText = "BEGIN IMMEDIATE;";
                    begin.ExecuteNonQuery();
                }
            }
            catch
            {
                Release(held);
                throw;
            }
            _held = held;
            Until = time.GetUtcNow() + duration;
            _timer = time.CreateTimer(_ =>
            {
                if (End())
                {
                    Ended?.Invoke();
                }
            }, null, duration, Timeout.InfiniteTimeSpan);
            return Until.Value;
        }
    }

    /// <summary>Ends the outage under way: the locks are released (the held transactions roll back, having written nothing).</summary>
    /// <returns>False when there was none.</returns>
    public bool End()
    {
        lock (_lock)
        {
            if (_held is not { } held)
            {
                return false;
            }
            _timer?.Dispose();
            // Over before the locks go: a write they held up may complete at once, and whoever it answers finds the outage ended.
            (_held, _timer, Until) = (null, null, null);
            Release(held);
            return true;
        }
    }

    public void Dispose() => End();

    private static void Release(List<SqliteConnection> connections)
    {
        foreach (var connection in connections)
        {
            // Closing a connection rolls back its open transaction.
            connection.Dispose();
        }
    }
}
