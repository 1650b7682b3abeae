using Dpr.Actors.Jobs.Scheduling;
using Dpr.Host.Service;

namespace Dpr.Host.Fleet;

/// <summary>
/// <c>Dpr:Cluster</c>: a fleet of boards as one service (docs/fleet.md). Off by default: <c>dpr serve</c>
/// then serves its one board as it always did. On (<c>dpr serve --cluster</c>), the node joins an
/// Akka.Cluster through <see cref="SeedNodes"/>; a node with the <c>board</c> role hosts some of the
/// fleet's <see cref="Boards"/> simulated boards (Cluster.Sharding decides which), one with the
/// <c>gateway</c> role takes HTTP requests for the whole fleet.
/// </summary>
public sealed class ClusterSettings
{
    public const string Section = $"{ServiceOptions.Section}:Cluster";

    public const string BoardRole = "board";

    public const string GatewayRole = "gateway";

    /// <summary>The actor system's name: a seed node's address is <c>akka.tcp://dpr@HOST:PORT</c>.</summary>
    public const string SystemName = "dpr";

    public bool Enabled { get; set; }

    /// <summary>The address other members reach this one at (Akka.Remote's DotNetty TCP transport).</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 4053;

    /// <summary>Members to join through, <c>akka.tcp://dpr@10.0.0.1:4053</c>; the first one listed starts the cluster when it is itself.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>
    /// <c>board</c> (hosts boards), <c>gateway</c> (HTTP intake), or both, comma-separated (the default).
    /// Text, not a list: the configuration binder appends a list's items to its default ones.
    /// </summary>
    public string Roles { get; set; } = $"{BoardRole},{GatewayRole}";

    /// <summary><see cref="Roles"/> as a list.</summary>
    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>How many simulated boards the fleet has, named after the board profile: <c>pynq-z2-0</c>, <c>pynq-z2-1</c>... Every node must agree.</summary>
    public int Boards { get; set; } = 1;

    /// <summary>
    /// The split-brain resolver's strategy: <c>keep-majority</c> (the side with more members stays, the
    /// other downs itself; on a tie the side with the lowest address stays) or <c>keep-oldest</c>.
    /// </summary>
    public string SplitBrain { get; set; } = "keep-majority";

    /// <summary>
    /// How long membership must be stable before the resolver downs unreachable members, in seconds
    /// (Akka's default is 20; a shorter one resumes a dead node's jobs sooner, at the risk of downing a
    /// node that only paused longer than this).
    /// </summary>
    public double StableAfterSeconds { get; set; } = 2;

    /// <summary>
    /// How long a member's heartbeats may stop before it is marked unreachable, in seconds (the failure
    /// detector's acceptable heartbeat pause; Akka's default is 3). Heartbeats go out every half second.
    /// Sized for boards on one LAN: a node that stalls longer (a long GC pause, an overloaded host) is
    /// marked unreachable, and downed if it stays so for <see cref="StableAfterSeconds"/>.
    /// </summary>
    public double FailureDetectionSeconds { get; set; } = 2;

    /// <summary>
    /// Down a member at once when remoting loses it and its remoting port refuses connections (its process is
    /// gone: a stalled process still listens), instead of after <see cref="FailureDetectionSeconds"/> and
    /// <see cref="StableAfterSeconds"/> (<see cref="DeadMemberDowningActor"/>).
    /// </summary>
    public bool DownDeadMembers { get; set; } = true;

    /// <summary>
    /// How far below the boards' aging bound (250 ms) a board's predicted start for a job must stay for the board
    /// to keep taking the jobs of a module it serves, in milliseconds (<see cref="Actors.Fleet.FleetPlacement"/>).
    /// Past it the module spreads to another board. Larger spreads sooner: shorter waits on the boards serving a
    /// hot module, more reconfigurations.
    /// </summary>
    public double PlacementHeadroomMilliseconds { get; set; } = 25;

    /// <summary>Removed with the spread-margin placement rule (session 10); read only so that a configuration still setting it is refused, not silently ignored.</summary>
    public double? SpreadMarginMilliseconds { get; set; }

    /// <summary>The latest predicted start that keeps a job on a board serving its module: the boards' aging bound less <see cref="PlacementHeadroomMilliseconds"/>.</summary>
    public TimeSpan PlacementWithin => AgingBound - TimeSpan.FromMilliseconds(PlacementHeadroomMilliseconds);

    /// <summary>The boards' aging bound: every board runs the scheduler's defaults.</summary>
    private static TimeSpan AgingBound => new SchedulerOptions().AgingBound;

    public bool HostsBoards => RoleList.Contains(BoardRole, StringComparer.Ordinal);

    /// <summary>The fleet's board ids.</summary>
    public IReadOnlyList<string> BoardIds(string boardName) => [.. Enumerable.Range(0, Boards).Select(i => $"{boardName}-{i}")];

    /// <summary>Every problem, each naming its setting; none when the cluster is off.</summary>
    public IEnumerable<string> Validate(ServiceOptions options)
    {
        if (!Enabled)
        {
            yield break;
        }
        if (!string.Equals(options.Journal, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{Section}:{nameof(Enabled)}: a fleet keeps its state in a shared journal: set {ServiceOptions.Section}:Journal=postgres (--journal postgres) with a connection string";
        }
        if (!options.Simulated && Boards != 1)
        {
            yield return $"{Section}:{nameof(Boards)}: a node on real hardware serves its one board; several boards per node are simulated ({ServiceOptions.Section}:Port=simulated)";
        }
        if (string.IsNullOrWhiteSpace(Hostname))
        {
            yield return $"{Section}:{nameof(Hostname)}: the address other members reach this node at is needed";
        }
        if (Port is < 0 or > 65535)
        {
            yield return $"{Section}:{nameof(Port)}: 0 to 65535, found {Port}";
        }
        if (Boards is < 1 or > 256)
        {
            yield return $"{Section}:{nameof(Boards)}: 1 to 256, found {Boards}";
        }
        if (RoleList.Count == 0 || RoleList.Any(r => r is not (BoardRole or GatewayRole)))
        {
            yield return $"{Section}:{nameof(Roles)}: {BoardRole}, {GatewayRole} or both, found '{Roles}'";
        }
        if (SplitBrain is not ("keep-majority" or "keep-oldest"))
        {
            yield return $"{Section}:{nameof(SplitBrain)}: expected keep-majority or keep-oldest, found '{SplitBrain}'";
        }
        if (StableAfterSeconds is < 1 or > 600)
        {
            yield return $"{Section}:{nameof(StableAfterSeconds)}: 1 to 600, found {StableAfterSeconds}";
        }
        if (FailureDetectionSeconds is < 0.5 or > 600)
        {
            yield return $"{Section}:{nameof(FailureDetectionSeconds)}: 0.5 to 600, found {FailureDetectionSeconds}";
        }
        if (!(PlacementHeadroomMilliseconds >= 0 && PlacementHeadroomMilliseconds < AgingBound.TotalMilliseconds))
        {
            yield return $"{Section}:{nameof(PlacementHeadroomMilliseconds)}: 0 to less than the boards' aging bound ({AgingBound.TotalMilliseconds} ms), found {PlacementHeadroomMilliseconds}";
        }
        if (SpreadMarginMilliseconds is not null)
        {
            yield return $"{Section}:{nameof(SpreadMarginMilliseconds)}: removed; a module now stays on its boards while they start its jobs within the aging bound less {Section}:{nameof(PlacementHeadroomMilliseconds)} (docs/fleet.md, \"Placement\")";
        }
        foreach (var seed in SeedNodes)
        {
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.UserInfo != SystemName || uri.Port <= 0)
            {
                yield return $"{Section}:{nameof(SeedNodes)}: '{seed}' is not a member address akka.tcp://{SystemName}@HOST:PORT";
            }
        }
    }
}
