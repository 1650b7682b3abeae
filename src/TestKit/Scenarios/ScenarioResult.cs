namespace Dpr.TestKit.Scenarios;

/// <summary>What <see cref="ScenarioRunner.Check"/> found: that every run held, or the first failing scenario, shrunk.</summary>
/// <param name="Seed">The seed the scenarios were drawn from: <c>Check(seed)</c> draws the same ones again.</param>
/// <param name="Runs">Scenarios run before the verdict (the failing one included).</param>
/// <param name="Failing">The scenario that broke an invariant, as drawn; null when every run held.</param>
/// <param name="Shrunk">The fewest of its steps that still break one, as FsCheck shrank it.</param>
/// <param name="Report">The invariants' report of the shrunk scenario.</param>
public sealed record ScenarioResult(int Seed, int Runs, IReadOnlyList<ScenarioStep>? Failing, IReadOnlyList<ScenarioStep>? Shrunk, string? Report)
{
    public bool Passed => Failing is null;

    /// <exception cref="InvariantViolationException">A scenario broke an invariant: the message has the seed, the shrunk steps and the violations.</exception>
    public void AssertPassed()
    {
        if (!Passed)
        {
            throw new InvariantViolationException(ToString());
        }
    }

    public override string ToString() => Passed
        ? $"seed {Seed}: {Runs} scenarios, every invariant held"
        : $"seed {Seed}: scenario {Runs} broke an invariant (reproduce: ScenarioRunner.Check(seed: {Seed}));{Environment.NewLine}" +
          $"shrunk from {Failing!.Count} to {Shrunk!.Count} steps: [{string.Join(", ", Shrunk)}]{Environment.NewLine}{Report}";
}
