using Akka.Actor;
using Akka.Configuration;
using Dpr.Actors.Regions;
using Dpr.Actors.Serialization;
using Microsoft.Data.Sqlite;
using static Dpr.Actors.Regions.RegionEvents;

namespace Dpr.Host.Regions;

/// <summary>
/// Reads a partition's events straight from the SQLite journal file (table <c>journal</c> of
/// Akka.Persistence.Sql's default table mapping) and checks what a crash must never break: the
/// sequence numbers run 1..N without a gap, every event deserializes, and every swap that started
/// has an outcome on record, or was interrupted and followed by a recovery reload.
/// </summary>
internal sealed class JournalAudit : IDisposable
{
    private const string RecoveryReasonPrefix = "recovery";

    /// <summary>Only for the serializer: deserializing through Akka checks the serializer id and manifest exactly as recovery does.</summary>
    private readonly ActorSystem _system = ActorSystem.Create("dpr-journal-audit", ConfigurationFactory.ParseString(DprSerializer.Hocon + "\nakka.loglevel = WARNING"));

    public JournalAuditResult Audit(string databasePath, string persistenceId)
    {
        var problems = new List<string>();
        var events = new List<IRegionEvent>();
        // Read-only and unpooled: the file belongs to the host process, which may be restarted right after.
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sequence_number, deleted, message, manifest, identifier FROM journal WHERE persistence_id = $id ORDER BY sequence_number";
            command.Parameters.AddWithValue("$id", persistenceId);
            using var reader = command.ExecuteReader();
            var expected = 1L;
            while (reader.Read())
            {
                var sequenceNr = reader.GetInt64(0);
                if (sequenceNr != expected)
                {
                    problems.Add($"sequence number {sequenceNr} where {expected} was expected");
                    expected = sequenceNr;
                }
                expected++;
                if (reader.GetBoolean(1))
                {
                    problems.Add($"event {sequenceNr} is marked deleted");
                }
                var manifest = reader.IsDBNull(3) ? "" : reader.GetString(3);
                var serializerId = reader.IsDBNull(4) ? -1 : reader.GetInt32(4);
                try
                {
                    var message = _system.Serialization.Deserialize((byte[])reader.GetValue(2), serializerId, manifest);
                    if (message is IRegionEvent e)
                    {
                        events.Add(e);
                    }
                    else
                    {
                        problems.Add($"event {sequenceNr} is a {message.GetType().Name}, not a region event");
                    }
                }
                catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or MessagePack.MessagePackSerializationException or ArgumentException)
                {
                    problems.Add($"event {sequenceNr} ({manifest}, serializer {serializerId}) does not deserialize: {e.Message}");
                }
            }
        }
        var open = CheckSwaps(events, problems);
        return new JournalAuditResult(events, problems, open);
    }

    /// <summary>
    /// Walks the swaps in order. A started swap is closed by its own SwapCompleted or SwapFailed, or
    /// (when the process died mid-swap) by a recovery SwapStarted; anything else is a problem.
    /// Returns the swap still open at the end of the journal, if any.
    /// </summary>
    internal static SwapStarted? CheckSwaps(IReadOnlyList<IRegionEvent> events, List<string> problems)
    {
        SwapStarted? open = null;
        for (var i = 0; i < events.Count; i++)
        {
            var sequenceNr = i + 1;
            switch (events[i])
            {
                case SwapStarted started:
                    if (open is not null && !started.Reason.StartsWith(RecoveryReasonPrefix, StringComparison.Ordinal))
                    {
                        problems.Add($"event {sequenceNr}: swap {started.SwapId} ({started.Reason}) started while swap {open.SwapId} had no outcome, and it is not a recovery");
                    }
                    open = started;
                    break;
                case SwapCompleted completed:
                    Close(completed.SwapId, sequenceNr, nameof(SwapCompleted));
                    break;
                case SwapFailed failed:
                    Close(failed.SwapId, sequenceNr, nameof(SwapFailed));
                    break;
            }
        }
        return open;

        void Close(Guid swapId, long sequenceNr, string kind)
        {
            if (open is null || open.SwapId != swapId)
            {
                problems.Add($"event {sequenceNr}: {kind} for swap {swapId}, but the open swap is {open?.SwapId.ToString() ?? "none"}");
            }
            open = null;
        }
    }

    public void Dispose() => _system.Terminate().Wait();
}
