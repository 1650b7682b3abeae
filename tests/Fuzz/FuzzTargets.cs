namespace Dpr.Fuzz;

/// <summary>Every fuzz target, in the order <c>dpr bench fuzz</c> runs them.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new BitstreamTarget(),
        new SemReportTarget(),
        new HardwareHandoffTarget(),
        new BoardProfileTarget(),
        new ModuleManifestTarget(),
        new MessagePackTarget(),
        new SubmitJobTarget(),
    ];

    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
