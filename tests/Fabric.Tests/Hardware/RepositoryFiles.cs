namespace Dpr.Fabric.Tests.Hardware;

/// <summary>Finds files of the repository (hardware/, docs/) from the test's output directory.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Actors.sln above {AppContext.BaseDirectory}");
    }
}
