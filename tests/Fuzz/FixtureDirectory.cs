namespace Dpr.Fuzz;

/// <summary>
/// The shared real fixtures (<c>real/</c>, <c>devices/</c>): <c>DPR_FIXTURES</c> if set, else
/// <c>shared/fixtures</c> beside the checkout that holds <c>Actors.sln</c>, looked for above the
/// current directory and above the binary (as <c>dpr bench</c> finds them).
/// </summary>
public sealed class FixtureDirectory(string root)
{
    public string Root { get; } = root;

    public string Real(string name) => Path.Combine(Root, "real", name);

    public IEnumerable<string> Devices => Directory.GetFiles(Path.Combine(Root, "devices"), "*.json").Order(StringComparer.Ordinal);

    public static FixtureDirectory Find()
    {
        if (Environment.GetEnvironmentVariable("DPR_FIXTURES") is { Length: > 0 } configured)
        {
            return new FixtureDirectory(configured);
        }
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir?.Parent is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.Parent.FullName, "shared", "fixtures");
                if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")) && Directory.Exists(candidate))
                {
                    return new FixtureDirectory(candidate);
                }
            }
        }
        throw new DirectoryNotFoundException("the shared fixtures were not found beside the checkout; set DPR_FIXTURES to their directory");
    }
}
