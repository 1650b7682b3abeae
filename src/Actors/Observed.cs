using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;

namespace Dpr.Actors;

/// <summary>
/// What the actors publish on the actor system's event stream once it is stored (never while
/// recovering), for metrics and live views. Process-local: these are not journalled or sent remotely.
/// </summary>
public static class Observed
{
    /// <summary>
    /// A region manager stored <paramref name="Event"/> and its partition is now <paramref name="State"/>;
    /// with no event, the state it is in once it has recovered (after every start of the actor).
    /// </summary>
    public sealed record RegionEvent(string Board, string Partition, IRegionEvent? Event, RegionReplies.State State);

    /// <summary>The snapshot store holds the region's state up to its <paramref name="SequenceNr"/>-th event (a restart replays only what came after).</summary>
    public sealed record RegionSnapshotted(string Board, string Partition, long SequenceNr);

    /// <summary>A job of <paramref name="Tenant"/> on <paramref name="Board"/> started <paramref name="Wait"/> after it was accepted (its first start).</summary>
    public sealed record JobWaited(string Board, string Module, TimeSpan Wait, string Tenant);

    /// <summary>A job ran on its module of <paramref name="Board"/> for <paramref name="Ran"/> (as the module measured it) and completed.</summary>
    public sealed record JobRan(string Board, string Module, TimeSpan Ran);

    /// <summary>A job's outcome is stored by <paramref name="Board"/>'s intake: <paramref name="State"/> is completed, failed or cancelled.</summary>
    public sealed record JobFinished(string Board, string Module, JobState State);

    /// <summary>
    /// The job intake stored <paramref name="Event"/> of a job of <paramref name="Tenant"/> as the
    /// <paramref name="SequenceNr"/>-th event of its journal (live views resume from it: docs/dashboard.md).
    /// </summary>
    public sealed record JobEvent(string Board, IJobEvent Event, string Tenant, string Module, long SequenceNr);

    /// <summary>
    /// The regions journal on SQLite checkpointed its WAL after <paramref name="Inserts"/> inserts through its kept-open
    /// connection: <paramref name="Copied"/> of the WAL's <paramref name="WalFrames"/> frames are in the database file
    /// (all of them: the next insert starts the WAL over).
    /// </summary>
    public sealed record JournalCheckpointed(long Inserts, long WalFrames, long Copied);

    /// <summary>A journal write failed; <paramref name="Writer"/> is the persistence id.</summary>
    public sealed record JournalFailed(string Writer, string Reason);
}
