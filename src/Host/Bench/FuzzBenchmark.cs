using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Dpr.Host.Bench;

/// <summary>
/// <c>dpr bench fuzz [--seconds N] [--target NAME]... [--keep DIR]</c>: every fuzz target of
/// <c>tests/Fuzz</c> (docs/fuzzing.md) under afl-fuzz for a bounded time, coverage-guided through
/// SharpFuzz's instrumentation of dpr's assemblies and MessagePack. Needs the checkout (it publishes
/// <c>tests/Fuzz</c>), the SharpFuzz tool of <c>.config/dotnet-tools.json</c> and afl-fuzz (Debian's
/// <c>afl++</c>). Reports executions, paths, crashes and hangs per target; a crash or hang is replayed
/// without afl to print its exception, and the work directory is kept so the input can become a test.
/// </summary>
public sealed class FuzzBenchmark : IBenchmarkWithOptions
{
    private const int QuickSeconds = 2;

    private const int FullSeconds = 45;

    private const long ExecutionGoal = 1_000_000;

    /// <summary>afl-fuzz's per-input limit: past it an input is a hang. The slowest seed (a 209 kB partial checked against four partitions) takes about 10 ms.</summary>
    private const int TimeoutMs = 2000;

    /// <summary>The PYNQ-Z2 has 512 MB for everything: an input that makes a reader allocate more is a finding (OutOfMemoryException, a crash to afl).</summary>
    private const string HeapLimit = "0x20000000";

    /// <summary>The assemblies whose branches afl-fuzz sees: dpr's own and the MessagePack reader (System.Text.Json and XmlReader are in the shared framework, which SharpFuzz cannot rewrite).</summary>
    private static readonly string[] Instrumented = ["Dpr.Fabric.dll", "Dpr.Actors.dll", "dpr.dll", "MessagePack.dll"];

    private readonly Option<int?> _seconds = new("--seconds") { Description = $"Fuzzing time per target (default {FullSeconds}, {QuickSeconds} with --quick)." };

    private readonly Option<string[]> _targets = new("--target") { Description = "Run only this target (repeatable; `dotnet run --project tests/Fuzz -- list`)." };

    private readonly Option<DirectoryInfo?> _keep = new("--keep") { Description = "Work in this directory and keep it: builds, corpus, afl-fuzz output (findings included)." };

    public string Name => "fuzz";

    public string Description => "Run every fuzz target under afl-fuzz (SharpFuzz) for a bounded time: executions, paths, crashes, hangs.";

    public IReadOnlyList<Option> Options => [_seconds, _targets, _keep];

    public BenchReport Run(bool quick, IAnsiConsole console) => Run(quick ? QuickSeconds : FullSeconds, quick, [], null, console);

    public BenchReport Run(bool quick, ParseResult parse, IAnsiConsole console) =>
        Run(parse.GetValue(_seconds) ?? (quick ? QuickSeconds : FullSeconds), quick, parse.GetValue(_targets) ?? [], parse.GetValue(_keep), console);

    /// <param name="quick">Two targets at a time: the smoke run is mostly start-up and calibration, not fuzzing.</param>
    private static BenchReport Run(int seconds, bool quick, IReadOnlyList<string> only, DirectoryInfo? keep, IAnsiConsole console)
    {
        var work = keep?.FullName ?? Path.Combine(Path.GetTempPath(), $"dpr-bench-fuzz-{Guid.NewGuid():N}");
        var results = new List<TargetResult>();
        string? problem = null;
        try
        {
            results = Fuzz(seconds, quick ? 2 : 1, only, work, console);
        }
        catch (Exception e) when (e is FuzzSetupException || e is AggregateException { InnerException: FuzzSetupException })
        {
            problem = (e is AggregateException a ? a.InnerException! : e).Message;
            console.MarkupLineInterpolated($"[red]{problem}[/]");
        }
        var findings = results.Sum(r => r.Crashes + r.Hangs);
        if (keep is null && findings == 0 && Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
        else if (Directory.Exists(work))
        {
            console.MarkupLineInterpolated($"work directory kept: [bold]{work}[/] (findings in out/TARGET/default/crashes and hangs)");
        }

        var rows = results.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["target"] = r.Target,
            ["seconds"] = r.Seconds,
            ["executions"] = r.Executions,
            ["execs/s"] = r.Seconds > 0 ? Math.Round((double)r.Executions / r.Seconds) : 0.0,
            ["seeds"] = r.Seeds,
            ["paths"] = r.Paths,
            ["new paths"] = r.NewPaths,
            ["edges"] = r.Edges,
            ["map coverage %"] = r.Coverage,
            ["crashes"] = r.Crashes,
            ["hangs"] = r.Hangs,
        }).ToList();
        if (problem is not null)
        {
            rows.Add(new Dictionary<string, object?> { ["target"] = "(not run)", ["problem"] = problem });
        }
        var executions = results.Sum(r => r.Executions);
        return new BenchReport(
            "fuzz",
            MachineInfo.Current(),
            rows,
            [
                BenchGoal.AtLeast("executions across targets", ExecutionGoal, executions, "executions"),
                // A run that could not fuzz proves nothing: its crash and hang goals are not met.
                problem is null ? BenchGoal.AtMost("crashes", 0, results.Sum(r => r.Crashes), "inputs") : new("crashes", 0, 0, "inputs", Met: false),
                problem is null ? BenchGoal.AtMost("hangs", 0, results.Sum(r => r.Hangs), "inputs") : new("hangs", 0, 0, "inputs", Met: false),
            ]);
    }

    private static List<TargetResult> Fuzz(int seconds, int parallel, IReadOnlyList<string> only, string work, IAnsiConsole console)
    {
        var root = CheckoutRoot();
        var afl = OnPath("afl-fuzz") ?? throw new FuzzSetupException("afl-fuzz is not installed: apt-get install afl++");
        var plain = Path.Combine(work, "plain");
        var instrumented = Path.Combine(work, "instrumented");
        var corpus = Path.Combine(work, "corpus");
        var output = Path.Combine(work, "out");
        var temp = Path.Combine(work, "tmp");
        foreach (var dir in new[] { work, output, temp })
        {
            Directory.CreateDirectory(dir);
        }

        console.WriteLine("fuzz: publishing tests/Fuzz (Release)...");
        Step(root, "dotnet", ["publish", Path.Combine(root, "tests", "Fuzz", "Fuzz.csproj"), "-c", "Release", "-o", plain, "--nologo", "-v", "q"]);
        CopyDirectory(plain, instrumented);
        Step(root, "dotnet", ["tool", "restore"]);
        foreach (var assembly in Instrumented)
        {
            console.WriteLine($"fuzz: instrumenting {assembly} (dotnet sharpfuzz)");
            Step(root, "dotnet", ["sharpfuzz", Path.Combine(instrumented, assembly)]);
        }
        var fixtures = FixturePaths.Root;
        var environment = new Dictionary<string, string> { ["DPR_FIXTURES"] = fixtures, ["TMPDIR"] = temp };
        Step(work, "dotnet", [Path.Combine(plain, "dpr-fuzz.dll"), "seed", corpus], environment);
        var targets = Step(work, "dotnet", [Path.Combine(plain, "dpr-fuzz.dll"), "list"], environment)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')[0])
            .Where(t => only.Count == 0 || only.Contains(t))
            .ToList();
        if (targets.Count == 0)
        {
            throw new FuzzSetupException($"no target named {string.Join(", ", only)}");
        }

        var results = new TargetResult[targets.Count];
        Parallel.For(0, targets.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
        {
            var target = targets[i];
            console.WriteLine($"fuzz: {target} for {seconds} s under afl-fuzz");
            var stats = Path.Combine(output, target, "default", "fuzzer_stats");
            var aflEnvironment = new Dictionary<string, string>(environment)
            {
                ["AFL_SKIP_BIN_CHECK"] = "1",          // the binary is dotnet; the instrumentation is in the rewritten assemblies
                ["AFL_SKIP_CPUFREQ"] = "1",
                ["AFL_NO_AFFINITY"] = "1",             // a shared machine: do not claim a core
                ["AFL_NO_UI"] = "1",
                ["AFL_FAST_CAL"] = "1",               // fewer calibration runs per seed: the seeds are few and deterministic
                ["AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES"] = "1",
                ["DOTNET_GCHeapHardLimit"] = HeapLimit,
            };
            var dictionary = Path.Combine(corpus, target + ".dict");
            var log = Step(work, afl,
                ["-i", Path.Combine(corpus, target), "-o", Path.Combine(output, target), "-t", TimeoutMs.ToString(CultureInfo.InvariantCulture),
                 "-m", "none", "-V", seconds.ToString(CultureInfo.InvariantCulture), .. File.Exists(dictionary) ? ["-x", dictionary] : Array.Empty<string>(),
                 "--", OnPath("dotnet") ?? "dotnet", Path.Combine(instrumented, "dpr-fuzz.dll"), "run", target],
                aflEnvironment, check: false, timeout: TimeSpan.FromSeconds(seconds + 600));
            if (!File.Exists(stats))
            {
                throw new FuzzSetupException($"afl-fuzz wrote no statistics for {target}: {string.Join('\n', log.Split('\n').TakeLast(12))}");
            }
            var result = Read(target, stats, Directory.GetFiles(Path.Combine(corpus, target)).Length);
            results[i] = result;
            console.WriteLine($"fuzz: {target}: {result.Executions:N0} executions, {result.Paths} paths, {result.Crashes} crashes, {result.Hangs} hangs");
            foreach (var kind in new[] { "crashes", "hangs" })
            {
                var dir = Path.Combine(output, target, "default", kind);
                if (Directory.Exists(dir) && Directory.GetFiles(dir, "id:*").Length > 0)
                {
                    // The plain build: the instrumented one needs afl-fuzz's shared memory.
                    console.WriteLine(Step(work, "dotnet", [Path.Combine(plain, "dpr-fuzz.dll"), "replay", target, dir], environment, check: false, timeout: TimeSpan.FromSeconds(60)));
                }
            }
        });
        return [.. results];
    }

    private static TargetResult Read(string target, string statsFile, int seeds)
    {
        var stats = File.ReadAllLines(statsFile)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        long Long(string key) => stats.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var coverage = stats.TryGetValue("bitmap_cvg", out var c) && double.TryParse(c.TrimEnd('%'), CultureInfo.InvariantCulture, out var pct) ? pct : 0;
        return new TargetResult(
            target, Long("run_time"), Long("execs_done"), seeds, Long("corpus_count"), Long("corpus_found"), Long("edges_found"), coverage,
            Long("saved_crashes"), Long("saved_hangs"));
    }

    /// <summary>Runs a tool to completion and returns its standard output; standard error joins it in the message when it fails.</summary>
    private static string Step(string directory, string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, bool check = true, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new FuzzSetupException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return $"{stdout.Result}\n{file} was still running after {(timeout ?? TimeSpan.FromMinutes(10)).TotalSeconds:0} s and was stopped";
        }
        if (check && process.ExitCode != 0)
        {
            throw new FuzzSetupException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}{stdout.Result}".Trim());
        }
        return stdout.Result + stderr.Result;
    }

    /// <summary>The checkout that holds <c>Actors.sln</c> and <c>tests/Fuzz</c>, above the current directory or the binary.</summary>
    private static string CheckoutRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")) && File.Exists(Path.Combine(dir.FullName, "tests", "Fuzz", "Fuzz.csproj")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new FuzzSetupException("the fuzz targets are built from the checkout: run dpr bench fuzz inside it (tests/Fuzz/Fuzz.csproj was not found above here)");
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    /// <summary>One target's run as afl-fuzz's <c>fuzzer_stats</c> records it.</summary>
    private sealed record TargetResult(
        string Target, long Seconds, long Executions, int Seeds, long Paths, long NewPaths, long Edges, double Coverage, long Crashes, long Hangs);

    /// <summary>A missing tool or checkout: reported in the table, not as a stack trace.</summary>
    private sealed class FuzzSetupException(string message) : Exception(message);
}
