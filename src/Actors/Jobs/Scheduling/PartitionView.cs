namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>
/// What the scheduler needs to know about one partition when it decides: the module it holds (null
/// when empty or unknown), whether it is busy (running a job or swapping), its recency, and the modules
/// it can host.
/// </summary>
/// <param name="Faulted">A faulted partition is neither run on nor loaded into.</param>
/// <param name="Known">False until its region manager has said what it holds.</param>
/// <param name="Pinned">Its module was loaded by someone other than the scheduler (an operator's explicit load): a
/// speculative prefetch does not replace it; a load for queued jobs still may.</param>
public sealed record PartitionView(
    string Name,
    string? Module,
    bool Busy,
    DateTimeOffset? LoadedAt,
    DateTimeOffset? LastUsed,
    IReadOnlyCollection<string> Hosts,
    bool Faulted = false,
    bool Known = true,
    bool Pinned = false);
