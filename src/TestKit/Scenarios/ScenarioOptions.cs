namespace Dpr.TestKit.Scenarios;

/// <summary>How <see cref="ScenarioRunner"/> draws and runs scenarios.</summary>
/// <param name="Runs">Scenarios drawn and run (each on a fresh node) before the property is said to hold.</param>
/// <param name="MaxSteps">The longest scenario drawn; each has at least one step.</param>
/// <param name="Node">The node each scenario runs on.</param>
/// <param name="Client">What submits the scenario's jobs (a job client under test around the node's intake); the intake itself when null.</param>
/// <param name="MaxShrinks">Shrinking a failing scenario stops after this many shorter candidates that still failed.</param>
public sealed record ScenarioOptions(
    int Runs = 5,
    int MaxSteps = 20,
    DprTestKitOptions? Node = null,
    Func<TestNode, IJobClient>? Client = null,
    int MaxShrinks = 50);
