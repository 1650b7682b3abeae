using Dpr.Actors.Jobs.Scheduling;
using Dpr.Actors.Journal;
using Dpr.Fabric.Boards;
using Microsoft.Extensions.Configuration;

namespace Dpr.Host.Service;

/// <summary>
/// The settings of <c>dpr serve</c>, section <c>Dpr</c>: from <c>appsettings.json</c>, then the
/// environment (<c>DPR__JOURNAL=postgres</c>), then the command line, each over the one before.
/// <see cref="Validate"/> names the setting at fault. The table in the README lists them.
/// </summary>
public sealed class ServiceOptions
{
    public const string Section = "Dpr";

    /// <summary>A built-in board (<c>pynq-z2</c>, <c>pynq-z2-composable</c>) or the path of a board profile.</summary>
    public string Board { get; set; } = "pynq-z2";

    /// <summary>
    /// <c>simulated</c> (the embedded default), or on the board <c>fpga-manager</c> (Xilinx sysfs), <c>overlay</c>
    /// (device-tree overlays through configfs) or <c>hwicap</c> (the AXI HWICAP over /dev/mem); <c>simulated-overlay</c>
    /// and <c>simulated-hwicap</c> run those ports' own code over the simulated board (docs/boards.md).
    /// </summary>
    public string Port { get; set; } = "simulated";

    /// <summary>Every value <see cref="Port"/> takes.</summary>
    public static IReadOnlyList<string> Ports { get; } = ["simulated", "simulated-overlay", "simulated-hwicap", "fpga-manager", "overlay", "hwicap"];

    /// <summary><c>sqlite</c> (files under <see cref="Data"/>) or <c>postgres</c> (<see cref="Connection"/>).</summary>
    public string Journal { get; set; } = "sqlite";

    public string? Connection { get; set; }

    /// <summary>Journals, modules, results, blobs and tenants.</summary>
    public string Data { get; set; } = "data";

    public string Urls { get; set; } = "http://localhost:5080";

    /// <summary>The largest request body accepted (a job's tensors in base64), in bytes; by default from the board's RAM (<see cref="RequestLimits"/>).</summary>
    public long? MaxRequestBytes { get; set; }

    /// <summary>A body larger than this, in bytes, counts among the large ones <see cref="MaxLargeBodies"/> bounds; by default from the board's RAM.</summary>
    public long? LargeBodyBytes { get; set; }

    /// <summary>How many large bodies are read at once; past it 503 with Retry-After. By default from the board's RAM.</summary>
    public int? MaxLargeBodies { get; set; }

    public int MaxOpenJobs { get; set; } = 100_000;

    public int MaxOpenJobsPerTenant { get; set; } = 10_000;

    /// <summary>
    /// The board time, in seconds, a tenant's open jobs may ask for together as the model estimates each job
    /// (its multiply-accumulates and streamed bytes at the module's modelled rates); a tenant with no open
    /// job is always admitted one.
    /// </summary>
    public double MaxOpenWorkSecondsPerTenant { get; set; } = 600;

    /// <summary>How long results are kept, in hours.</summary>
    public double ResultRetentionHours { get; set; } = 24 * 7;

    /// <summary>How long swaps stay in the regions journal (<c>GET /v1/swaps</c>), in days; older ones are deleted.</summary>
    public double SwapHistoryDays { get; set; } = 30;

    /// <summary>Below this much free space on the data directory's disk new jobs are refused (507), in MB; 0 turns the check off.</summary>
    public long MinFreeDiskMegabytes { get; set; } = 64;

    /// <summary>The simulated board takes its modelled time (swaps, module runs) instead of only reporting it.</summary>
    public bool RealTime { get; set; } = true;

    /// <summary>
    /// At start, before the regions start, load the board's static image (its profile's <c>staticImage</c>, beside
    /// the modules; on the simulated board a synthetic one when the profile names none) through the port,
    /// and record every partition empty. Off: the PL is only checked (docs/boards.md, "The static design").
    /// </summary>
    public bool LoadStatic { get; set; }

    /// <summary>The design the simulated board's PL holds at start; null (the default) for the board's static design. Another name simulates a board booted with a foreign design.</summary>
    public string? SimulatedStaticDesign { get; set; }

    /// <summary>
    /// Which loaded module a multi-partition board evicts when another must be loaded: <c>lookahead</c>
    /// (the one its queue needs furthest in the future), <c>lru</c> or <c>fifo</c> (the policies of <c>pynqpartial</c>).
    /// </summary>
    public string Placement { get; set; } = "lookahead";

    /// <summary>
    /// Speculative prefetch: below 80% estimated load an idle partition whose module has no queued job loads the
    /// module predicted next ahead of need (<c>SchedulerOptions.Prefetch</c>, docs/scheduler.md). Off by default:
    /// it trades many more swaps for lower waits, and it reloads a partition an operator emptied or loaded by hand.
    /// </summary>
    public bool Prefetch { get; set; }

    /// <summary>
    /// Requests per second each API key may make (a token bucket holding one second's worth); past it
    /// requests get 429 with Retry-After, so one tenant's flood does not starve the others.
    /// </summary>
    public int RequestsPerSecondPerTenant { get; set; } = 1000;

    /// <summary>
    /// A key for <c>/metrics</c> (<c>Authorization: Bearer KEY</c>), for a scraper that should hold no admin key;
    /// at least 16 characters. Admin keys are accepted too (docs/api.md, "Metrics").
    /// </summary>
    public string? MetricsKey { get; set; }

    /// <summary>Callers on the loopback interface may read <c>/metrics</c> without a key. Turn off behind a reverse proxy on the same host.</summary>
    public bool MetricsOpenOnLoopback { get; set; } = true;

    /// <summary>How long a request waits for an actor (the intake's durable write, a region's swap) before a 503.</summary>
    public double AskTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// A log file besides the console (off when empty): rolled daily (<c>dpr.log</c> → <c>dpr20260612.log</c>),
    /// each file at most <see cref="LogFileMaxBytes"/> (then <c>_001</c>...), the newest <see cref="LogFileRetainedCount"/> kept.
    /// For a board that runs for months on an SD card with no journald of its own.
    /// </summary>
    public string? LogFile { get; set; }

    /// <summary>How many log files are kept; older ones are deleted as new ones start.</summary>
    public int LogFileRetainedCount { get; set; } = 14;

    public long LogFileMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How often the journal's database is checked, in seconds; while it is down, also how often it is
    /// retried and its cause logged (one line each time).
    /// </summary>
    public double JournalProbeSeconds { get; set; } = 5;

    /// <summary>
    /// How long a start waits for the journal's database, in seconds, before the process exits naming the
    /// cause (a service manager then sees the failure); 0 waits as long as it takes, answering 503 meanwhile.
    /// </summary>
    public double StartupTimeoutSeconds { get; set; }

    /// <summary>
    /// Shares of the board by tenant (<c>Dpr:TenantWeights:alice=2</c>); a tenant not listed weighs 1. While
    /// tenants have jobs waiting, each gets partition time in proportion to its weight (docs/scheduler.md).
    /// Bound as text: the binder drops a value it cannot convert in a dictionary without a word, and
    /// <see cref="Validate"/> must name it instead.
    /// </summary>
    public Dictionary<string, string> TenantWeights { get; set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="TenantWeights"/> as numbers; null when none is set. Call after <see cref="Validate"/>.</summary>
    public IReadOnlyDictionary<string, double>? Weights => TenantWeights is { Count: > 0 }
        ? TenantWeights.ToDictionary(w => w.Key, w => double.Parse(w.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal)
        : null;

    /// <summary>
    /// Public keys (PEM files, or the PEM text itself) whose module signatures are accepted
    /// (<c>Dpr:TrustedKeys:0=/etc/dpr/release.pub.pem</c>, <c>DPR__TRUSTEDKEYS__0=...</c>); a module signed by
    /// another key is refused (docs/modules.md).
    /// </summary>
    public List<string> TrustedKeys { get; set; } = [];

    /// <summary>Serve only modules signed by one of <see cref="TrustedKeys"/>; a board profile can ask the same (<c>requireSignedModules</c>).</summary>
    public bool RequireSignedModules { get; set; }

    /// <summary>A fleet of boards as one service (<c>Dpr:Cluster</c>, docs/fleet.md); off by default.</summary>
    public Fleet.ClusterSettings Cluster { get; set; } = new();

    public string DataDirectory => Path.GetFullPath(Data);

    /// <summary>The module catalog <c>dpr serve</c> reads and <c>dpr modules add</c> writes.</summary>
    public string ModulesDirectory => Path.Combine(DataDirectory, "modules");

    public TimeSpan AskTimeout => TimeSpan.FromSeconds(AskTimeoutSeconds);

    public TimeSpan JournalProbeInterval => TimeSpan.FromSeconds(JournalProbeSeconds);

    /// <summary>Null when the start waits as long as it takes.</summary>
    public TimeSpan? StartupTimeout => StartupTimeoutSeconds > 0 ? TimeSpan.FromSeconds(StartupTimeoutSeconds) : null;

    /// <summary>The simulated board, whichever port's code writes to it.</summary>
    public bool Simulated => Port is not null && (string.Equals(Port, "simulated", StringComparison.OrdinalIgnoreCase) || Port.StartsWith("simulated-", StringComparison.OrdinalIgnoreCase));

    /// <summary>The port without the simulation: <c>simulated</c>, <c>fpga-manager</c>, <c>overlay</c> or <c>hwicap</c>, lower case.</summary>
    public string ConfigurationPort => (Port ?? "").ToLowerInvariant() is var port && port.StartsWith("simulated-", StringComparison.Ordinal) ? port["simulated-".Length..] : port;

    public JournalSettings JournalSettings => string.Equals(Journal, "postgres", StringComparison.OrdinalIgnoreCase)
        ? JournalSettings.PostgreSql(Connection!)
        : JournalSettings.Sqlite(Path.Combine(DataDirectory, "dpr.db"));

    /// <summary>The journal in words, for the start banner (no password).</summary>
    public string JournalDescription => JournalSettings.Provider == JournalProvider.Sqlite
        ? $"SQLite {Path.Combine(DataDirectory, "dpr.db")}"
        : $"PostgreSQL {new Npgsql.NpgsqlConnectionStringBuilder(Connection) { Password = null }.ConnectionString}";

    public PlacementPolicy PlacementPolicy => Enum.Parse<PlacementPolicy>(Placement, ignoreCase: true);

    /// <summary>
    /// <see cref="TrustedKeys"/> loaded. A private key is refused: the service needs only the public half,
    /// and a signing key belongs with whoever signs.
    /// </summary>
    /// <exception cref="ServiceOptionsException">A key cannot be read; the problem names it (<c>Dpr:TrustedKeys:1</c>).</exception>
    public IReadOnlyList<System.Security.Cryptography.ECDsa> LoadTrustedKeys()
    {
        var keys = new List<System.Security.Cryptography.ECDsa>();
        for (var i = 0; i < TrustedKeys.Count; i++)
        {
            var entry = TrustedKeys[i];
            var setting = $"{Section}:{nameof(TrustedKeys)}:{i}";
            string pem;
            try
            {
                pem = entry.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal) ? entry : File.ReadAllText(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new ServiceOptionsException([$"{setting}: cannot read the public key '{entry}': {e.Message}"]);
            }
            if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new ServiceOptionsException([$"{setting}: '{entry}' is a private key; trust the public one (PREFIX.pub.pem of dpr modules keygen)"]);
            }
            try
            {
                keys.Add(Dpr.Fabric.Modules.ModuleSigner.LoadKey(pem));
            }
            catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                throw new ServiceOptionsException([$"{setting}: '{entry}' is not an ECDSA public key in PEM: {e.Message}"]);
            }
        }
        return keys;
    }

    public static ServiceOptions From(IConfiguration configuration)
    {
        var options = new ServiceOptions();
        try
        {
            configuration.GetSection(Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // Binding names the key and the value it could not convert.
            throw new ServiceOptionsException([e.InnerException?.Message is { } inner ? $"{e.Message} {inner}" : e.Message]);
        }
        return options;
    }

    /// <summary>Every problem, each naming its setting (<c>Dpr:Journal</c>); empty when the options can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, string key, string message)
        {
            if (!ok)
            {
                problems.Add($"{Section}:{key}: {message}");
            }
        }
        Check(Port is not null && Ports.Contains(Port, StringComparer.OrdinalIgnoreCase), nameof(Port), $"expected {string.Join(", ", Ports)}, found '{Port}'");
        var postgres = string.Equals(Journal, "postgres", StringComparison.OrdinalIgnoreCase);
        Check(postgres || string.Equals(Journal, "sqlite", StringComparison.OrdinalIgnoreCase), nameof(Journal), $"expected sqlite or postgres, found '{Journal}'");
        Check(!postgres || !string.IsNullOrWhiteSpace(Connection), nameof(Connection), "the postgres journal needs a connection string (--connection, DPR__CONNECTION)");
        if (postgres && !string.IsNullOrWhiteSpace(Connection))
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(Connection);
            }
            catch (ArgumentException e)
            {
                problems.Add($"{Section}:{nameof(Connection)}: not a PostgreSQL connection string: {e.Message}");
            }
        }
        Check(!string.IsNullOrWhiteSpace(Data), nameof(Data), "a data directory is needed");
        Check(MaxOpenJobs >= 1, nameof(MaxOpenJobs), $"at least 1, found {MaxOpenJobs}");
        Check(MaxOpenJobsPerTenant >= 1, nameof(MaxOpenJobsPerTenant), $"at least 1, found {MaxOpenJobsPerTenant}");
        Check(MaxOpenWorkSecondsPerTenant is > 0 and <= 30 * 86_400, nameof(MaxOpenWorkSecondsPerTenant), $"more than 0 and at most {30 * 86_400} (30 days), found {MaxOpenWorkSecondsPerTenant}");
        Check(ResultRetentionHours > 0, nameof(ResultRetentionHours), $"more than 0, found {ResultRetentionHours}");
        Check(SwapHistoryDays > 0 && SwapHistoryDays <= 36_500, nameof(SwapHistoryDays), $"more than 0 and at most 36500, found {SwapHistoryDays}");
        Check(MinFreeDiskMegabytes is >= 0 and <= 1L << 30, nameof(MinFreeDiskMegabytes), $"0 (no check) to {1L << 30}, found {MinFreeDiskMegabytes}");
        Check(Placement is not null && Enum.TryParse<PlacementPolicy>(Placement, ignoreCase: true, out var placement) && Enum.IsDefined(placement) && !int.TryParse(Placement, out _),
            nameof(Placement), $"expected lookahead, lru or fifo, found '{Placement}'");
        Check(RequestsPerSecondPerTenant >= 1, nameof(RequestsPerSecondPerTenant), $"at least 1, found {RequestsPerSecondPerTenant}");
        Check(string.IsNullOrEmpty(MetricsKey) || MetricsKey.Trim().Length >= 16, nameof(MetricsKey), $"at least 16 characters (a random token: `openssl rand -hex 24`), found {MetricsKey?.Trim().Length}");
        Check(AskTimeoutSeconds > 0, nameof(AskTimeoutSeconds), $"more than 0, found {AskTimeoutSeconds}");
        Check(LogFileRetainedCount >= 1, nameof(LogFileRetainedCount), $"at least 1, found {LogFileRetainedCount}");
        Check(LogFileMaxBytes >= 64 * 1024, nameof(LogFileMaxBytes), $"at least 65536 bytes, found {LogFileMaxBytes}");
        if (!string.IsNullOrWhiteSpace(LogFile))
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(LogFile))!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problems.Add($"{Section}:{nameof(LogFile)}: cannot make the directory of '{LogFile}': {e.Message}");
            }
        }
        Check(JournalProbeSeconds is >= 0.1 and <= 3600, nameof(JournalProbeSeconds), $"0.1 to 3600, found {JournalProbeSeconds}");
        Check(StartupTimeoutSeconds >= 0 && double.IsFinite(StartupTimeoutSeconds), nameof(StartupTimeoutSeconds), $"0 (wait as long as it takes) or more, found {StartupTimeoutSeconds}");
        foreach (var (tenant, weight) in TenantWeights ?? [])
        {
            Check(double.TryParse(weight, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var w) && w > 0 && double.IsFinite(w),
                $"{nameof(TenantWeights)}:{tenant}", $"a positive number, found '{weight}'");
        }
        foreach (var url in (Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            Check(Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
                nameof(Urls), $"'{url}' is not an http(s) URL");
        }
        Check(!string.IsNullOrWhiteSpace(Urls), nameof(Urls), "at least one URL to listen on is needed");
        problems.AddRange(Cluster.Validate(this));
        var trusted = 0;
        try
        {
            var keys = LoadTrustedKeys();
            trusted = keys.Count;
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
        catch (ServiceOptionsException e)
        {
            problems.AddRange(e.Problems);
            trusted = -1;
        }
        try
        {
            // The request limits as set, or as derived from the board's RAM, named by their setting either way.
            var board = BoardCatalog.Load(Board);
            var required = RequireSignedModules ? $"{Section}:{nameof(RequireSignedModules)}" : board.RequireSignedModules ? $"board '{board.Name}'" : null;
            Check(required is null || trusted != 0, nameof(TrustedKeys), $"{required} requires signed modules, but no key is trusted, so every module would be refused");
            var limits = RequestLimits.For(this, board);
            string Derived(object? set) => set is null ? $" (derived from {RequestLimits.RamOf(board)} bytes of RAM; set it)" : "";
            Check(limits.MaxRequestBytes >= 1024, nameof(MaxRequestBytes), $"at least 1024 bytes, found {limits.MaxRequestBytes}{Derived(MaxRequestBytes)}");
            Check(limits.LargeBodyBytes >= 1024, nameof(LargeBodyBytes), $"at least 1024 bytes, found {limits.LargeBodyBytes}{Derived(LargeBodyBytes)}");
            Check(limits.MaxLargeBodies >= 1, nameof(MaxLargeBodies), $"at least 1, found {limits.MaxLargeBodies}");
            Check(!LoadStatic || Simulated || board.StaticImage is not null, nameof(LoadStatic), $"board '{board.Name}' names no static image (\"staticImage\" in its profile) to load");
            Check(!LoadStatic || ConfigurationPort != "hwicap", nameof(LoadStatic), "the hwicap port writes partials only (its core is in the static design): load the static image with the fpga-manager or overlay port");
            Check(ConfigurationPort != "hwicap" || board.Hwicap is not null, nameof(Port), $"board '{board.Name}' has no AXI HWICAP (\"hwicap\" in its profile) for the {Port} port");
            var unmapped = board.Partitions.Where(p => p.FpgaRegion is null).Select(p => p.Name).ToList();
            Check(ConfigurationPort != "overlay" || (board.FpgaRegion is not null && unmapped.Count == 0), nameof(Port),
                $"the {Port} port needs the fpga-region of the board (\"fpgaRegion\": {board.FpgaRegion ?? "missing"}) and of every partition (missing for {(unmapped.Count == 0 ? "none" : string.Join(", ", unmapped))}) in board '{board.Name}'");
        }
        catch (BoardProfileException e)
        {
            problems.Add($"{Section}:{nameof(Board)}: {e.Message}");
        }
        return problems;
    }
}

/// <summary>The settings cannot be used; each problem names its setting.</summary>
public sealed class ServiceOptionsException(IReadOnlyList<string> problems)
    : Exception("invalid settings: " + string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
