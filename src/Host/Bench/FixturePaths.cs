namespace Dpr.Host.Bench;

/// <summary>
/// Where the shared real fixtures are: <c>DPR_FIXTURES</c> if set, else <c>shared/fixtures</c> beside
/// the checkout that holds <c>Actors.sln</c>, looked for above the current directory and above the binary.
/// </summary>
internal static class FixturePaths
{
    public static string Real(string name) => Path.Combine(Root, "real", name);

    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DPR_FIXTURES") is { Length: > 0 } configured)
            {
                return configured;
            }
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir?.Parent is not null; dir = dir.Parent)
                {
                    var candidate = Path.Combine(dir.Parent.FullName, "shared", "fixtures");
                    if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")) && Directory.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }
            throw new DirectoryNotFoundException("the shared fixtures were not found beside the checkout; set DPR_FIXTURES to their directory");
        }
    }
}
