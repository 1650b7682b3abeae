using System.Text.Json;

namespace Dpr.Fabric.Tests;

/// <summary>The real Vivado bitstreams in <c>../shared/fixtures/real</c>, beside the repository.</summary>
public static class Fixtures
{
    private static readonly Lazy<string> Root = new(FindRoot);
    private static readonly Dictionary<string, byte[]> Cache = [];

    public static string RealDirectory => Path.Combine(Root.Value, "real");

    public static string DevicesDirectory => Path.Combine(Root.Value, "devices");

    public static string Real(string name) => Path.Combine(RealDirectory, name);

    public static byte[] Bytes(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var bytes))
            {
                bytes = File.ReadAllBytes(Real(name));
                Cache[name] = bytes;
            }
            return bytes;
        }
    }

    public static JsonElement ExpectedParse(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Real("expected-parse.json")));
        return doc.RootElement.GetProperty(name).Clone();
    }

    public static IEnumerable<string> BitFiles => Directory.GetFiles(RealDirectory, "*.bit").Select(Path.GetFileName).Order()!;

    public const string FullStatic = "cv_dfx_4_pr.bit";
    public const string JoinSubtract = "cv_dfx_4_pr_composable_pr_join_subtract_partial.bit";
    public const string JoinAbsdiff = "cv_dfx_4_pr_composable_pr_join_absdiff_partial.bit";
    public const string ForkDuplicate = "cv_dfx_4_pr_composable_pr_fork_duplicate_partial.bit";
    public const string Pr0DilateErode = "cv_dfx_4_pr_composable_pr_0_dilate_erode_partial.bit";
    public const string Pr1CornerHarris = "cv_dfx_4_pr_composable_pr_1_cornerharris_fifo_partial.bit";
    public const string PrioGpio = "pr_0_gpio.bit";
    public const string Zybo = "zybo_swbut_design.bit";
    public const string Arty = "arty-a7_swbut_design.bit";

    /// <summary><c>DPR_FIXTURES</c> if set, else <c>shared/fixtures</c> beside the checkout.</summary>
    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("DPR_FIXTURES") is { Length: > 0 } configured)
        {
            return configured;
        }
        var candidate = Path.Combine(Path.GetDirectoryName(Hardware.RepositoryFiles.Root)!, "shared", "fixtures");
        return Directory.Exists(candidate)
            ? candidate
            : throw new DirectoryNotFoundException($"expected the real fixtures at {candidate} (or set DPR_FIXTURES)");
    }
}
