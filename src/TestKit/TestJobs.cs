using System.Collections.Concurrent;
using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;

namespace Dpr.TestKit;

/// <summary>The job API of the node, as a test uses it: submit, look up, await the end, cancel, read the result.</summary>
public sealed class TestJobs : IJobClient
{
    private readonly TestNode _node;
    private readonly ConcurrentDictionary<Guid, JobRequest> _accepted = new();
    private readonly ConcurrentDictionary<Guid, byte> _cancelled = new();
    private int _unanswered;

    internal TestJobs(TestNode node) => _node = node;

    /// <summary>The jobs accepted through <see cref="SubmitAsync"/>, with their requests.</summary>
    public IReadOnlyDictionary<Guid, JobRequest> Accepted => _accepted;

    /// <summary>The jobs cancelled through <see cref="CancelAsync"/>.</summary>
    public IReadOnlySet<Guid> Cancelled => _cancelled.Keys.ToHashSet();

    /// <summary>Submissions that got no answer (<see cref="Submission.Unanswered"/>).</summary>
    public int Unanswered => _unanswered;

    /// <summary>Submits to the intake: accepted once <c>JobAccepted</c> is stored, rejected with a reason, or unanswered within <see cref="DprTestKitOptions.AskTimeout"/>.</summary>
    public async Task<Submission> SubmitAsync(JobRequest request)
    {
        object answer;
        try
        {
            answer = await _node.Runtime.Intake.Ask<object>(new JobCommands.Submit(request), _node.Options.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            Interlocked.Increment(ref _unanswered);
            return Submission.NoAnswer($"the intake did not answer within {_node.Options.AskTimeout.TotalSeconds:0.#} s (its journal failed and it has not come back yet)");
        }
        switch (answer)
        {
            case JobReplies.Accepted accepted:
                _accepted[accepted.JobId] = request;
                return Submission.Of(accepted.JobId);
            case JobReplies.Rejected rejected:
                return Submission.Of(rejected);
            case var other:
                throw new InvalidOperationException($"the intake answered a submission with {other}");
        }
    }

    /// <summary>Submits <paramref name="request"/> and returns its id.</summary>
    /// <exception cref="InvalidOperationException">It was rejected; the message says why.</exception>
    public async Task<Guid> SubmitAcceptedAsync(JobRequest request)
    {
        var submission = await SubmitAsync(request);
        return submission.JobId ?? throw new InvalidOperationException($"job for {request.Module} not accepted: {submission.Rejected?.ToString() ?? submission.Unanswered}");
    }

    /// <summary>The job's status from the intake, or the index once it finished; null when neither knows it.</summary>
    /// <exception cref="Akka.Actor.AskTimeoutException">The intake did not answer within <see cref="DprTestKitOptions.AskTimeout"/> (it stopped and has not come back yet).</exception>
    public Task<JobReplies.JobStatus?> FindAsync(Guid jobId) => _node.Runtime.FindJobAsync(jobId, _node.Options.AskTimeout);

    /// <summary>
    /// Waits until the job has ended (completed, failed or cancelled) and returns its status. A look-up the
    /// intake does not answer (it stopped after a journal fault and its supervisor has not brought it back
    /// yet, so the question went to dead letters) is asked again.
    /// </summary>
    /// <exception cref="TimeoutException">It had not ended within <see cref="DprTestKitOptions.Patience"/>.</exception>
    public async Task<JobReplies.JobStatus> AwaitEndAsync(Guid jobId)
    {
        JobReplies.JobStatus? last = null;
        var seen = "unknown";
        await _node.WaitUntilAsync(async () =>
        {
            try
            {
                last = await FindAsync(jobId);
                seen = last?.ToString() ?? "not found";
            }
            catch (Akka.Actor.AskTimeoutException)
            {
                seen = "no answer from the intake";
                return false;
            }
            return Ended(last);
        }, () => $"job {jobId} to end (last seen: {seen})");
        return last!;
    }

    /// <summary>Waits until every job of <paramref name="jobs"/> has ended and returns the status of each.</summary>
    public async Task<IReadOnlyDictionary<Guid, JobReplies.JobStatus>> AwaitAllAsync(IEnumerable<Guid> jobs)
    {
        var ended = new Dictionary<Guid, JobReplies.JobStatus>();
        foreach (var id in jobs)
        {
            ended[id] = await AwaitEndAsync(id);
        }
        return ended;
    }

    /// <summary>Cancels a queued job (as <c>DELETE /v1/jobs/{id}</c>); a running or finished one is not cancelled.</summary>
    public async Task<CancelOutcome> CancelAsync(Guid jobId, string by = "test")
    {
        var outcome = await _node.Runtime.Dispatcher.Ask<CancelOutcome>(new JobDispatcherActor.Cancel(jobId, by), _node.Options.Patience);
        if (outcome == CancelOutcome.Cancelled)
        {
            _cancelled[jobId] = 0;
        }
        return outcome;
    }

    /// <summary>The values of a completed job's result; null while it has none.</summary>
    public int[]? Result(Guid jobId) =>
        _node.Results.TryLoad(jobId) is { } stored
            ? TensorBytes.Decode(stored.Data, ConvModule.Resolve(stored.Meta.Module).Bits / 8)
            : null;

    /// <summary>What the job must compute: dpr's bit-exact reference convolution of the request.</summary>
    public static int[] Reference(JobRequest request) => ConvReference.Requantized(request.ToProblem());

    /// <summary>
    /// A small job for <paramref name="module"/> (a name or alias of one of the six convolution modules):
    /// a 1x2x9x7 input and a 2x2xKxK kernel drawn from <paramref name="seed"/> within the module's range.
    /// </summary>
    public static JobRequest Sample(string module, int seed = 0, string tenant = "test", bool cpuFallback = false)
    {
        var spec = ConvModule.Resolve(module);
        var random = new Random(seed);
        var width = spec.Bits / 8;
        var k = spec.KernelSize;
        int Value() => (int)random.NextInt64(spec.MinValue, spec.MaxValue + 1);
        return new JobRequest(
            tenant, module, 1, "same", 3, "requantized",
            [1, 2, 9, 7], TensorBytes.Encode(Enumerable.Range(0, 2 * 9 * 7).Select(_ => Value()).ToArray(), width),
            [2, 2, k, k], TensorBytes.Encode(Enumerable.Range(0, 2 * 2 * k * k).Select(_ => Value()).ToArray(), width),
            CpuFallback: cpuFallback);
    }

    internal static bool Ended(JobReplies.JobStatus? status) => status?.State is JobState.Completed or JobState.Failed or JobState.Cancelled;
}
