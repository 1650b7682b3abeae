using Akka.Actor;
using Dpr.Actors.Jobs;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// What a fleet's shared PostgreSQL journal holds after a run (table <c>journal</c> of Akka.Persistence.Sql's
/// default mapping, schema <c>public</c>), deserialized by the actor system's serialization as recovery does:
/// per job, its acceptances and its outcome events, from every board's <c>jobs-*</c> rows.
/// </summary>
internal sealed class JobJournalTally
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public Dictionary<Guid, int> Accepted { get; } = [];

    /// <summary>The outcome events of each job: completed, failed or cancelled.</summary>
    public Dictionary<Guid, List<string>> Outcomes { get; } = [];

    public List<string> Unreadable { get; } = [];

    public static JobJournalTally ReadPostgres(string connectionString, ActorSystem serialization)
    {
        var tally = new JobJournalTally();
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand("SELECT persistence_id, sequence_number, message, manifest, identifier FROM public.journal WHERE persistence_id LIKE 'jobs-%' ORDER BY ordering", connection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var manifest = reader.IsDBNull(3) ? "" : reader.GetString(3);
            try
            {
                tally.Count(serialization.Serialization.Deserialize((byte[])reader.GetValue(2), reader.IsDBNull(4) ? -1 : reader.GetInt32(4), manifest));
            }
            catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or MessagePack.MessagePackSerializationException or ArgumentException)
            {
                tally.Unreadable.Add($"{reader.GetString(0)} #{reader.GetInt64(1)} ({manifest}): {e.Message}");
            }
        }
        return tally;
    }

    private void Count(object message)
    {
        switch (message)
        {
            case JobEvents.JobAccepted a:
                Accepted[a.JobId] = Accepted.GetValueOrDefault(a.JobId) + 1;
                break;
            case JobEvents.JobCompleted c:
                Outcome(c.JobId, Completed);
                break;
            case JobEvents.JobFailed f:
                Outcome(f.JobId, Failed);
                break;
            case JobEvents.JobCancelled c:
                Outcome(c.JobId, Cancelled);
                break;
        }
    }

    private void Outcome(Guid job, string outcome)
    {
        if (!Outcomes.TryGetValue(job, out var list))
        {
            Outcomes[job] = list = [];
        }
        list.Add(outcome);
    }
}
