using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;

namespace Dpr.TestKit;

/// <summary>
/// What must hold after any scenario, checked from what the node answers, the journals stored and the
/// port saw: every accepted job ended exactly once (one outcome on record) with the reference result or a
/// failure that names its reason, and was started at most <see cref="SchedulingDriver.DefaultMaxStarts"/>
/// times; no two writes on the configuration port overlapped; every port write is on record as a swap,
/// and every swap on record as completed was written; and the journals hold at most
/// <see cref="EventsPerUnit"/> events per job, completed swap and disturbance.
/// </summary>
public static class Invariants
{
    /// <summary>
    /// Journal events per unit of work. A job costs at most 5 (JobAccepted, at most
    /// <see cref="SchedulingDriver.DefaultMaxStarts"/> = 3 JobStarted, one outcome); a completed swap 2
    /// (SwapStarted, SwapCompleted); a disturbance at most 4: an upset its UpsetDetected, a RegionFaulted past
    /// the storm bound and a swap it spoiled half way (SwapStarted, SwapFailed); a port fault its failed write
    /// and a RegionFaulted after the third in a row; a reset its RegionReset; a restart the SwapStarted it left
    /// open. Anything that writes per retry, per poll or per restart without a bound exceeds it as runs grow.
    /// </summary>
    public const int EventsPerUnit = 5;

    /// <summary>Waits until every job of <paramref name="told"/> has ended, then checks every invariant.</summary>
    /// <param name="told">The jobs a submitter was told were accepted, with their requests.</param>
    /// <param name="cancelled">The jobs someone cancelled (any other cancellation is a violation).</param>
    /// <param name="unanswered">Submissions that got no answer: as many jobs may be on record that no submitter was told of (each must still end once).</param>
    public static async Task<InvariantReport> CheckAsync(TestNode node, IReadOnlyDictionary<Guid, JobRequest> told, IReadOnlySet<Guid> cancelled, int unanswered = 0)
    {
        var violations = new List<string>();
        var strangers = node.JournalEvents(NodeJournal.Jobs).Select(e => e.Payload).OfType<JobEvents.JobAccepted>()
            .Where(a => !told.ContainsKey(a.JobId)).DistinctBy(a => a.JobId).ToList();
        if (strangers.Count > unanswered)
        {
            violations.AddRange(strangers.Select(a => $"job {a.JobId} is on record as accepted but no submitter was told so ({unanswered} submissions went unanswered)"));
        }
        var accepted = told.Concat(strangers.Select(a => KeyValuePair.Create(a.JobId, a.Request))).ToDictionary();
        var ended = await node.SettleAsync(accepted.Keys, violations);
        CheckOutcomes(node, accepted, cancelled, ended, violations);
        var jobEvents = node.JournalEvents(NodeJournal.Jobs);
        CheckJobRecords(accepted, ended, jobEvents, violations);
        var writes = node.Board.PortWrites;
        violations.AddRange(writes.Where(w => w.Overlapped).Select(w => $"port write {w.Number} ({w.Image}) began while another write was under way"));
        var swaps = node.Board.SwapHistory();
        CheckSwapsOnRecord(writes, swaps, violations);
        var regionEvents = node.JournalEvents(NodeJournal.Regions);
        var completedSwaps = swaps.Count(s => s.Step == SwapStep.Completed);
        var events = jobEvents.Count + regionEvents.Count;
        var bound = EventsPerUnit * (accepted.Count + completedSwaps + node.Disturbances);
        if (events > bound)
        {
            violations.Add($"{events} journal events ({jobEvents.Count} job, {regionEvents.Count} region) for {accepted.Count} jobs, {completedSwaps} swaps and {node.Disturbances} disturbances: more than the bound {bound}");
        }
        return new InvariantReport(
            violations, accepted.Count,
            ended.Values.Count(s => s.State == JobState.Completed), ended.Values.Count(s => s.State == JobState.Failed),
            completedSwaps, writes.Count, node.Disturbances, events, bound);
    }

    /// <summary>A completed job has the reference result; a failed one says why; only a job someone cancelled is cancelled.</summary>
    private static void CheckOutcomes(TestNode node, IReadOnlyDictionary<Guid, JobRequest> accepted, IReadOnlySet<Guid> cancelled, Dictionary<Guid, JobReplies.JobStatus> ended, List<string> violations)
    {
        foreach (var (id, status) in ended)
        {
            switch (status.State)
            {
                case JobState.Completed:
                    if (node.Jobs.Result(id) is not { } result)
                    {
                        violations.Add($"job {id} ({status.Module}) completed without a stored result");
                    }
                    else if (!result.SequenceEqual(TestJobs.Reference(accepted[id])))
                    {
                        violations.Add($"job {id} ({status.Module}) completed on {status.Partition ?? "the CPU"} with a result that is not the reference");
                    }
                    break;
                case JobState.Failed when string.IsNullOrWhiteSpace(status.Error):
                    violations.Add($"job {id} ({status.Module}) failed without a reason");
                    break;
                case JobState.Cancelled when !cancelled.Contains(id):
                    violations.Add($"job {id} ({status.Module}) was cancelled, though nobody cancelled it");
                    break;
            }
        }
    }

    /// <summary>From the jobs journal: each job accepted once, ended once (as its status says), started at most the bound.</summary>
    private static void CheckJobRecords(IReadOnlyDictionary<Guid, JobRequest> accepted, Dictionary<Guid, JobReplies.JobStatus> ended, IReadOnlyList<RecordedEvent> events, List<string> violations)
    {
        var acceptances = new Dictionary<Guid, int>();
        var outcomes = new Dictionary<Guid, List<JobState>>();
        var starts = new Dictionary<Guid, int>();
        foreach (var e in events)
        {
            switch (e.Payload)
            {
                case JobEvents.JobAccepted a:
                    acceptances[a.JobId] = acceptances.GetValueOrDefault(a.JobId) + 1;
                    break;
                case JobEvents.JobStarted s:
                    starts[s.JobId] = starts.GetValueOrDefault(s.JobId) + 1;
                    break;
                case JobEvents.JobCompleted c:
                    Outcome(c.JobId, JobState.Completed);
                    break;
                case JobEvents.JobFailed f:
                    Outcome(f.JobId, JobState.Failed);
                    break;
                case JobEvents.JobCancelled x:
                    Outcome(x.JobId, JobState.Cancelled);
                    break;
            }
        }
        foreach (var id in accepted.Keys)
        {
            if (acceptances.GetValueOrDefault(id) != 1)
            {
                violations.Add($"job {id}: {acceptances.GetValueOrDefault(id)} JobAccepted events on record, expected 1");
            }
            var outcome = outcomes.GetValueOrDefault(id) ?? [];
            if (outcome.Count != 1)
            {
                violations.Add($"job {id}: {outcome.Count} outcome events on record ({string.Join(", ", outcome)}), expected exactly 1");
            }
            else if (ended.TryGetValue(id, out var status) && outcome[0] != status.State)
            {
                violations.Add($"job {id}: {outcome[0]} on record but {status.State} when asked");
            }
            if (starts.GetValueOrDefault(id) > SchedulingDriver.DefaultMaxStarts)
            {
                violations.Add($"job {id}: started {starts[id]} times on record, more than the bound {SchedulingDriver.DefaultMaxStarts}");
            }
        }

        void Outcome(Guid id, JobState state)
        {
            if (!outcomes.TryGetValue(id, out var list))
            {
                outcomes[id] = list = [];
            }
            list.Add(state);
        }
    }

    /// <summary>Each port write has a SwapStarted of its module on record; each SwapCompleted a successful write of its module.</summary>
    private static void CheckSwapsOnRecord(IReadOnlyList<PortWrite> writes, IReadOnlyList<SwapRecord> swaps, List<string> violations)
    {
        foreach (var module in writes.Select(w => w.Image).Concat(swaps.Select(s => s.Module)).Distinct(StringComparer.Ordinal))
        {
            var written = writes.Count(w => w.Image == module);
            var succeeded = writes.Count(w => w.Image == module && w.Succeeded);
            var started = swaps.Count(s => s.Module == module && s.Step == SwapStep.Started);
            var completed = swaps.Count(s => s.Module == module && s.Step == SwapStep.Completed);
            if (written > started)
            {
                violations.Add($"{module}: {written} port writes but {started} SwapStarted on record: a swap happened off the record");
            }
            if (completed > succeeded)
            {
                violations.Add($"{module}: {completed} SwapCompleted on record but {succeeded} successful port writes");
            }
        }
    }
}
