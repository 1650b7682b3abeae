namespace Dpr.Host.Tests.Hardware;

/// <summary>The repository checkout the tests run from (the directory holding Actors.sln).</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Actors.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Actors.sln above {AppContext.BaseDirectory}");
    }
}
