using MessagePack;

namespace Dpr.Actors.Jobs;

/// <summary>
/// The job intake's state at a sequence number: the jobs it holds — the open ones, and finished ones not
/// yet in the index — each tenant's in acceptance order. Snapshots written before the index existed hold
/// every finished job within the retention too; they still recover (<see cref="IntakeState.From"/>).
/// </summary>
[MessagePackObject]
public sealed record IntakeSnapshot([property: Key(0)] IntakeSnapshot.Job[] Jobs) : IDprMessage
{
    /// <param name="Request">Kept while the job is open (it may run again after a restart).</param>
    /// <param name="InputBlob">The blob its input is in, also once it finished (see <see cref="JobRecord.InputBlob"/>).</param>
    [MessagePackObject]
    public sealed record Job(
        [property: Key(0)] Guid JobId,
        [property: Key(1)] string Tenant,
        [property: Key(2)] string Module,
        [property: Key(3)] string State,
        [property: Key(4)] JobRequest? Request,
        [property: Key(5)] DateTimeOffset AcceptedAt,
        [property: Key(6)] string? Partition,
        [property: Key(7)] string? Error,
        [property: Key(8)] string? IdempotencyKey,
        [property: Key(9)] int Starts = 0,
        [property: Key(10)] DateTimeOffset? StartedAt = null,
        [property: Key(11)] DateTimeOffset? FinishedAt = null,
        [property: Key(12)] string? InputBlob = null) : IDprMessage
    {
        /// <summary>The state stored as its lower-case name.</summary>
        public JobState ParseState() => Enum.Parse<JobState>(State, ignoreCase: true);

        public static string Wire(JobState state) => state.ToString().ToLowerInvariant();
    }
}
