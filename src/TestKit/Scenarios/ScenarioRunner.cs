using Akka.Actor;
using Dpr.Actors.Jobs;
using Dpr.Actors.Jobs.Scheduling;
using Dpr.Fabric.Convolution;
using Dpr.Fabric.Ports;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace Dpr.TestKit.Scenarios;

/// <summary>
/// A seeded FsCheck property over the node: scenarios that interleave submissions (through the job client
/// under test), cancellations, operator loads and resets, port faults, SEM upsets and storms, journal
/// refusals, restarts and virtual time are drawn from a seed, each is run on a fresh <see cref="TestNode"/>,
/// and the <see cref="Invariants"/> are checked after it. The first scenario that breaks one is shrunk by
/// FsCheck (steps removed while it still fails) and reported with the seed that draws it again.
/// </summary>
public sealed class ScenarioRunner(ScenarioOptions? options = null)
{
    private static readonly string[] Tenants = ["alice", "bob", "carol"];
    private static readonly SimulatedFault[] PortFaults = [SimulatedFault.Fail, SimulatedFault.PartialWrite, SimulatedFault.Corrupt];

    private readonly ScenarioOptions _options = options ?? new ScenarioOptions();

    /// <summary>Every kind of step, for runs that must cover each.</summary>
    public static IReadOnlyList<Type> Kinds { get; } =
    [
        typeof(ScenarioStep.Submit), typeof(ScenarioStep.Cancel), typeof(ScenarioStep.OperatorLoad), typeof(ScenarioStep.Reset),
        typeof(ScenarioStep.PortFault), typeof(ScenarioStep.Upset), typeof(ScenarioStep.Storm), typeof(ScenarioStep.JournalRefusal),
        typeof(ScenarioStep.Restart), typeof(ScenarioStep.AdvanceTime),
    ];

    /// <summary>One step, drawn with the weights of a busy day: half submissions, the rest operators, faults and restarts.</summary>
    public static Gen<ScenarioStep> Step { get; } = Gen.Frequency(
        (45, from module in Gen.Elements(ConvModule.All.Select(m => m.Name.Value).ToArray())
             from tenant in Gen.Elements(Tenants)
             from data in Gen.Choose(0, int.MaxValue - 1)
             from cpu in Gen.Frequency((7, Gen.Constant(false)), (1, Gen.Constant(true)))
             select (ScenarioStep)new ScenarioStep.Submit(module, tenant, data, cpu)),
        (5, Gen.Choose(0, 1000).Select(i => (ScenarioStep)new ScenarioStep.Cancel(i))),
        (10, Gen.Elements(ConvModule.All.Select(m => m.Name.Value).ToArray()).Select(m => (ScenarioStep)new ScenarioStep.OperatorLoad(m))),
        (4, Gen.Constant((ScenarioStep)new ScenarioStep.Reset())),
        (10, Gen.Elements(PortFaults).Select(f => (ScenarioStep)new ScenarioStep.PortFault(f))),
        (7, Gen.Elements(true, false).Select(c => (ScenarioStep)new ScenarioStep.Upset(c))),
        (2, Gen.Constant((ScenarioStep)new ScenarioStep.Storm())),
        (3, Gen.Constant((ScenarioStep)new ScenarioStep.JournalRefusal())),
        (8, Gen.Elements(true, false).Select(g => (ScenarioStep)new ScenarioStep.Restart(g))),
        (6, Gen.Choose(1, 2000).Select(ms => (ScenarioStep)new ScenarioStep.AdvanceTime(ms))));

    /// <summary>Scenarios of 1 to <see cref="ScenarioOptions.MaxSteps"/> steps.</summary>
    public Gen<ScenarioStep[]> Scenarios => Gen.Choose(1, _options.MaxSteps).SelectMany(n => Step.ArrayOf(n));

    /// <summary>
    /// Draws <see cref="ScenarioOptions.Runs"/> scenarios from <paramref name="seed"/> and runs each; the first
    /// that breaks an invariant is shrunk. The same seed draws the same scenarios.
    /// </summary>
    public ScenarioResult Check(int seed)
    {
        var verdict = new Verdict();
        var reports = new Dictionary<string, string>(StringComparer.Ordinal);
        var arbitrary = Arb.From(Scenarios, Shrink);
        var property = Prop.ForAll(arbitrary, steps =>
        {
            // Off the test's synchronization context: the node's continuations must not wait for this thread.
            var report = Task.Run(() => RunAsync(steps)).GetAwaiter().GetResult();
            reports[Describe(steps)] = report.ToString();
            return report.Hold;
        });
        var replay = new Replay(new Rnd((ulong)seed), FSharpOption<int>.None);
        var config = Config.Quick.WithMaxTest(_options.Runs).WithReplay(FSharpOption<Replay>.Some(replay)).WithRunner(verdict).WithQuietOnSuccess(true);
        FsCheck.Check.One(config, property);
        return verdict.Result switch
        {
            TestResult.Failed failed => Failure(seed, failed, reports),
            TestResult.Passed passed => new ScenarioResult(seed, passed.Item1.NumberOfTests, null, null, null),
            var other => throw new InvalidOperationException($"FsCheck ended the scenarios with {other}"),
        };
    }

    /// <summary><see cref="Check"/> off the caller's thread.</summary>
    public Task<ScenarioResult> CheckAsync(int seed) => Task.Run(() => Check(seed));

    /// <summary>Runs <paramref name="steps"/> on a fresh node in an actor system of its own and checks the invariants after them.</summary>
    public async Task<InvariantReport> RunAsync(IReadOnlyList<ScenarioStep> steps)
    {
        var system = ActorSystem.Create($"dpr-scenario-{Guid.NewGuid():N}", TestNode.Config);
        var node = new TestNode(system, _options.Node);
        try
        {
            await node.StartAsync();
            var run = new Run(node, _options.Client?.Invoke(node) ?? node.Jobs);
            var problems = new List<string>();
            for (var i = 0; i < steps.Count; i++)
            {
                try
                {
                    await run.ApplyAsync(steps[i]);
                }
                catch (Exception e) when (e is TimeoutException or AskTimeoutException or InvalidOperationException)
                {
                    problems.Add($"step {i + 1} {steps[i]}: {e.Message}");
                    break;
                }
            }
            var report = await node.CheckInvariantsAsync(run.Accepted, run.Cancelled, run.Unanswered);
            return problems.Count == 0 ? report : report with { Violations = [.. problems, .. report.Violations] };
        }
        finally
        {
            await node.DisposeAsync();
            await system.Terminate();
        }
    }

    /// <summary>Shorter scenarios: halves, quarters... down to single steps removed, the largest cuts first.</summary>
    private static IEnumerable<ScenarioStep[]> Shrink(ScenarioStep[] steps)
    {
        for (var size = steps.Length / 2; size >= 1; size /= 2)
        {
            for (var start = 0; start + size <= steps.Length; start += size)
            {
                yield return [.. steps[..start], .. steps[(start + size)..]];
            }
        }
    }

    private ScenarioResult Failure(int seed, TestResult.Failed failed, Dictionary<string, string> reports)
    {
        var original = Steps(failed.Item2);
        var shrunk = Steps(failed.Item3);
        return new ScenarioResult(seed, failed.Item1.NumberOfTests, original, shrunk, reports.GetValueOrDefault(Describe(shrunk)));
    }

    private static ScenarioStep[] Steps(FSharpList<object> arguments) => (ScenarioStep[])arguments.Head;

    private static string Describe(IEnumerable<ScenarioStep> steps) => string.Join(", ", steps);

    /// <summary>What FsCheck decided, kept for the result instead of printed.</summary>
    private sealed class Verdict : IRunner
    {
        public TestResult? Result { get; private set; }

        public void OnStartFixture(Type type)
        {
        }

        public void OnArguments(int test, FSharpList<object> arguments, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every)
        {
        }

        public void OnShrink(FSharpList<object> arguments, FSharpFunc<FSharpList<object>, string> everyShrink)
        {
        }

        public void OnFinished(string name, TestResult result) => Result = result;
    }

    /// <summary>One scenario's state: what the submitter was told and what it cancelled.</summary>
    private sealed class Run(TestNode node, IJobClient client)
    {
        private readonly List<Guid> _order = [];

        public Dictionary<Guid, JobRequest> Accepted { get; } = [];

        public HashSet<Guid> Cancelled { get; } = [];

        public int Unanswered { get; private set; }

        public async Task ApplyAsync(ScenarioStep step)
        {
            switch (step)
            {
                case ScenarioStep.Submit submit:
                    var request = TestJobs.Sample(submit.Module, submit.DataSeed, submit.Tenant, submit.CpuFallback);
                    var submission = await client.SubmitAsync(request);
                    if (submission.JobId is { } id)
                    {
                        Accepted[id] = request;
                        _order.Add(id);
                    }
                    Unanswered += submission.Unanswered is null ? 0 : 1;
                    break;
                case ScenarioStep.Cancel cancel when _order.Count > 0:
                    var job = _order[cancel.Which % _order.Count];
                    if (await node.Jobs.CancelAsync(job) == CancelOutcome.Cancelled)
                    {
                        Cancelled.Add(job);
                    }
                    break;
                case ScenarioStep.OperatorLoad load:
                    await Operator(() => node.Board.LoadAsync(load.Module));
                    break;
                case ScenarioStep.Reset:
                    await Operator(() => node.Board.ResetAsync());
                    break;
                case ScenarioStep.PortFault fault:
                    node.Faults.PortFailsNextWrite(fault.Fault);
                    break;
                case ScenarioStep.Upset upset:
                    await BetweenJobsAsync(() => node.Faults.UpsetAsync(node.Board.DefaultPartition, upset.Correctable));
                    break;
                case ScenarioStep.Storm:
                    await BetweenJobsAsync(() => node.Faults.StormAsync(node.Board.DefaultPartition, ScenarioStep.StormUpsets));
                    break;
                case ScenarioStep.JournalRefusal:
                    node.Faults.RefuseJournalWrites(NodeJournal.Jobs);
                    break;
                case ScenarioStep.Restart restart:
                    await node.RestartAsync(restart.Graceful);
                    break;
                case ScenarioStep.AdvanceTime advance when node.Clock is not null:
                    node.AdvanceTime(TimeSpan.FromMilliseconds(advance.Milliseconds));
                    break;
            }
        }

        /// <summary>An operator's request without an answer is the service's 503, not a broken invariant: the operator goes on.</summary>
        private static async Task Operator(Func<Task> request)
        {
            try
            {
                await request();
            }
            catch (AskTimeoutException)
            {
            }
        }

        /// <summary>Every job on record has ended first; an upset the controller cannot detect now (not observing) is skipped, as on the board.</summary>
        private async Task BetweenJobsAsync(Func<Task> upset)
        {
            await node.SettleAsync(Accepted.Keys, []);
            if (node.Simulated.Sem.State != Fabric.Sem.SemState.Observation)
            {
                return;
            }
            try
            {
                await upset();
            }
            catch (InvalidOperationException)
            {
                // Idled for a port write since the check: it detects nothing then either.
            }
        }
    }
}
