using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Microsoft.Data.Sqlite;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// What the service's SQLite journals hold after a run, read from the files (table <c>journal</c> of
/// Akka.Persistence.Sql's default mapping) and deserialized by the actor system's serialization, as
/// recovery does: the rows of the job journal (<c>dpr.db</c>) and the regions journal
/// (<c>dpr.regions.db</c>), and per job its acceptances, start attempts and outcomes.
/// </summary>
internal sealed class JobJournalTally
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public int JobRows { get; private set; }

    public int RegionRows { get; private set; }

    public int SwapsCompleted { get; private set; }

    public Dictionary<string, int> RowsByManifest { get; } = new(StringComparer.Ordinal);

    public Dictionary<Guid, int> Accepted { get; } = [];

    /// <summary>The <c>Attempt</c> of every <see cref="JobEvents.JobStarted"/> of each job, in journal order.</summary>
    public Dictionary<Guid, List<int>> Starts { get; } = [];

    /// <summary>The outcome events of each job: completed, failed or cancelled.</summary>
    public Dictionary<Guid, List<string>> Outcomes { get; } = [];

    public List<string> Unreadable { get; } = [];

    public static JobJournalTally Read(string dataDirectory, ActorSystem serialization)
    {
        var tally = new JobJournalTally();
        foreach (var (file, isJobs) in new[] { ("dpr.db", true), ("dpr.regions.db", false) })
        {
            // Read-only and unpooled: the service may start again on these files right after.
            var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, file), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT persistence_id, sequence_number, message, manifest, identifier FROM journal ORDER BY ordering";
            using var reader = command.ExecuteReader();
            tally.ReadRows(reader, _ => isJobs, serialization);
        }
        return tally;
    }

    /// <summary>
    /// The same from the shared PostgreSQL journal of a fleet (table <c>journal</c> of the default mapping,
    /// in schema <c>public</c>), where every board's job and region events are: job rows are those of <c>jobs-*</c>.
    /// </summary>
    public static JobJournalTally ReadPostgres(string connectionString, ActorSystem serialization)
    {
        var tally = new JobJournalTally();
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand("SELECT persistence_id, sequence_number, message, manifest, identifier FROM public.journal WHERE persistence_id LIKE 'jobs-%' OR persistence_id LIKE 'region-%' ORDER BY ordering", connection);
        using var reader = command.ExecuteReader();
        tally.ReadRows(reader, id => id.StartsWith("jobs-", StringComparison.Ordinal), serialization);
        return tally;
    }

    private void ReadRows(System.Data.Common.DbDataReader reader, Func<string, bool> isJobs, ActorSystem serialization)
    {
        while (reader.Read())
        {
            var manifest = reader.IsDBNull(3) ? "" : reader.GetString(3);
            RowsByManifest[manifest] = RowsByManifest.GetValueOrDefault(manifest) + 1;
            if (isJobs(reader.GetString(0)))
            {
                JobRows++;
            }
            else
            {
                RegionRows++;
            }
            object message;
            try
            {
                message = serialization.Serialization.Deserialize((byte[])reader.GetValue(2), reader.IsDBNull(4) ? -1 : reader.GetInt32(4), manifest);
            }
            catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or MessagePack.MessagePackSerializationException or ArgumentException)
            {
                Unreadable.Add($"{reader.GetString(0)} #{reader.GetInt64(1)} ({manifest}): {e.Message}");
                continue;
            }
            Count(message);
        }
    }

    private void Count(object message)
    {
        switch (message)
        {
            case JobEvents.JobAccepted a:
                Accepted[a.JobId] = Accepted.GetValueOrDefault(a.JobId) + 1;
                break;
            case JobEvents.JobStarted s:
                Add(Starts, s.JobId, s.Attempt);
                break;
            case JobEvents.JobCompleted c:
                Add(Outcomes, c.JobId, Completed);
                break;
            case JobEvents.JobFailed f:
                Add(Outcomes, f.JobId, Failed);
                break;
            case JobEvents.JobCancelled c:
                Add(Outcomes, c.JobId, Cancelled);
                break;
            case RegionEvents.SwapCompleted:
                SwapsCompleted++;
                break;
        }
    }

    private static void Add<T>(Dictionary<Guid, List<T>> map, Guid id, T value)
    {
        if (!map.TryGetValue(id, out var list))
        {
            map[id] = list = [];
        }
        list.Add(value);
    }
}
