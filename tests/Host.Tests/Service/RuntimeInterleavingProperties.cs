using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit.Abstractions;

namespace Dpr.Host.Tests.Service;

/// <summary>
/// The runtime the service runs (region manager, SEM monitor, job intake and dispatcher on the SQLite
/// journals, the simulated board) under random interleavings of submissions of all six modules from
/// several tenants, operator loads and resets, SEM upsets and upset storms, port faults and process
/// restarts: every accepted job ends exactly once (completed with the reference result, or failed with
/// a reason), none is started more than the bound, and the journals grow with the work, not with time
/// or retries. <see cref="InterleavingRun"/> checks each; a run reports every violation it finds.
/// </summary>
public sealed class RuntimeInterleavingProperties(ITestOutputHelper output)
{
    /// <summary>A seed whose operations, with one of each missing kind inserted, cover every kind.</summary>
    private const int EveryKindSeed = 2026;

    private static Arbitrary<int> Seeds => Gen.Choose(0, int.MaxValue - 1).ToArbitrary();

    [Property(MaxTest = 6)]
    public Property Every_accepted_job_ends_exactly_once_within_the_start_bound_and_the_journal_stays_proportional() =>
        Prop.ForAll(Seeds, seed =>
        {
            var report = Run(InterleavingOperation.Generate(seed));
            return (report.Violations.Count == 0).Label($"seed {seed}: {report}");
        });

    [Fact]
    public void Every_kind_of_operation_interleaved_leaves_every_job_ended_once_with_the_right_result()
    {
        var operations = InterleavingOperation.Generate(EveryKindSeed, everyKind: true);

        var report = Run(operations);

        Assert.True(report.Violations.Count == 0, report.ToString());
        Assert.All(InterleavingOperation.Kinds, kind => Assert.True(report.Applied.GetValueOrDefault(kind.Name) > 0, $"no {kind.Name} was applied: {report}"));
        Assert.True(report.AcceptedJobs > 0 && report.CompletedJobs > 0, report.ToString());
        Assert.True(report.Lifetimes > 1, report.ToString());
    }

    private InterleavingReport Run(IReadOnlyList<InterleavingOperation> operations)
    {
        using var run = new InterleavingRun();
        var report = run.Run(operations);
        output.WriteLine(report.ToString());
        return report;
    }
}
