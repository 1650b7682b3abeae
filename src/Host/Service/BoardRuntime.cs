namespace Dpr.Host.Service;

/// <summary>
/// The .NET runtime settings <c>dpr serve</c> runs with on a small board (a PYNQ-Z2 has 512 MB for
/// Linux, the DMA pool and dpr), as environment variables: <c>deploy/dpr.service</c> sets the same,
/// and <c>dpr bench memory</c> measures them beside the others it tried (docs/benchmarks/memory.md).
/// They must be set before the process starts, so they cannot follow the board profile at run time.
/// </summary>
public static class BoardRuntime
{
    private static readonly Dictionary<string, string> Chosen = new()
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_gcConcurrent"] = "0",
        ["DOTNET_GCConserveMemory"] = "5",
        ["DOTNET_TieredPGO"] = "0",
    };

    /// <summary>The configurations <c>dpr bench memory</c> compares, the x64 default first.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Environment)> Candidates { get; } =
    [
        ("x64 default", new Dictionary<string, string>()),
        ("workstation GC", new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }),
        ("workstation, non-concurrent GC", new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "0" }),
        ("board profile", Chosen),
    ];

    /// <summary>The board profile's settings (the last of <see cref="Candidates"/>).</summary>
    public static IReadOnlyDictionary<string, string> Environment => Chosen;
}
