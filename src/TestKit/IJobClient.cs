using Dpr.Actors.Jobs;

namespace Dpr.TestKit;

/// <summary>
/// What submits jobs in a scenario: the node's intake (<see cref="TestJobs"/>), or a job client under
/// test wrapped around it. The invariants hold the client to what it told its caller: every job it said
/// was accepted must end exactly once.
/// </summary>
public interface IJobClient
{
    Task<Submission> SubmitAsync(JobRequest request);
}
