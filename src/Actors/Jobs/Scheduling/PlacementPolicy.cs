namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>Which loaded partition to overwrite when a module must be loaded and no partition is free.</summary>
public enum PlacementPolicy
{
    /// <summary>The partition used least recently (ran a job or was loaded), as <c>pynqpartial</c> did.</summary>
    Lru,

    /// <summary>The partition loaded first, as <c>pynqpartial</c>'s other option.</summary>
    Fifo,

    /// <summary>
    /// The partition whose module is needed furthest in the future according to the queues: a module
    /// with nothing queued first, else the one whose oldest job has the latest start-by time
    /// (Belady's rule with the queue as the only knowledge of the future).
    /// </summary>
    Lookahead,
}
