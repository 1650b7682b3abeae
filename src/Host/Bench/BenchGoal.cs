namespace Dpr.Host.Bench;

/// <summary>One goal of an issue, judged from the figures of the run that reports it.</summary>
public sealed record BenchGoal(string Name, double Target, double Measured, string Unit, bool Met)
{
    public static BenchGoal AtLeast(string name, double target, double measured, string unit) =>
        new(name, target, measured, unit, measured >= target);

    public static BenchGoal AtMost(string name, double target, double measured, string unit) =>
        new(name, target, measured, unit, measured <= target);
}
