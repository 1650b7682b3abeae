using System.Text.RegularExpressions;

namespace Dpr.TestKit.Tests;

/// <summary>docs/testing.md shows only code these tests compile and run: every line of each of its C# examples is a line of a test here.</summary>
public sealed partial class DocsExamplesTests
{
    [Fact]
    public void Every_line_of_every_csharp_example_in_the_guide_is_in_a_test()
    {
        var root = Repository();
        var tests = Directory.GetFiles(Path.Combine(root, "tests", "TestKit.Tests"), "*.cs")
            .SelectMany(File.ReadLines).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        var examples = Example().Matches(File.ReadAllText(Path.Combine(root, "docs", "testing.md"))).Select(m => m.Groups[1].Value).ToList();

        var missing = examples
            .SelectMany(e => e.Split('\n'))
            .Select(l => TrailingComment().Replace(l, "").Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal) && !tests.Contains(l))
            .ToList();

        Assert.True(examples.Count >= 8, $"{examples.Count} C# examples found in docs/testing.md");
        Assert.True(missing.Count == 0, $"docs/testing.md shows lines no test in tests/TestKit.Tests has:{Environment.NewLine}{string.Join(Environment.NewLine, missing)}");
    }

    private static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docs", "testing.md")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no docs/testing.md above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Example();

    [GeneratedRegex(@"\s+//.*$")]
    private static partial Regex TrailingComment();
}
