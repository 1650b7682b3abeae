using System.Globalization;
using Dpr.Actors.Journal;
using Dpr.Host.Service;

namespace Dpr.Host.Fleet;

/// <summary>
/// A fleet on this machine (<c>dpr fleet up</c>, the multi-process tests, <c>dpr bench fleet</c>): a throwaway
/// PostgreSQL cluster and <c>nodes</c> <c>dpr serve --cluster</c> processes on loopback sharing <c>boards</c>
/// simulated boards, the first node the seed. Every node has the same tenants (<c>admin</c> with an admin key,
/// <c>alice</c>), so a key works against any node.
/// </summary>
internal sealed class LocalFleet : IDisposable
{
    private readonly TemporaryPostgresCluster _postgres;
    private readonly List<ServeProcess> _nodes;

    private LocalFleet(string directory, TemporaryPostgresCluster postgres, List<ServeProcess> nodes, IReadOnlyList<string> members, IReadOnlyDictionary<string, string> keys)
    {
        Directory = directory;
        _postgres = postgres;
        _nodes = nodes;
        Members = members;
        Keys = keys;
    }

    /// <summary>Where the nodes' data directories are (node-0, node-1...).</summary>
    public string Directory { get; }

    public IReadOnlyList<ServeProcess> Nodes => _nodes;

    /// <summary>Each node's cluster address, <c>akka.tcp://dpr@127.0.0.1:PORT</c>.</summary>
    public IReadOnlyList<string> Members { get; }

    /// <summary>The API key of each tenant, valid on every node.</summary>
    public IReadOnlyDictionary<string, string> Keys { get; }

    public string ConnectionString => _postgres.ConnectionString;

    /// <param name="environment">More settings for every node (<c>DPR__CLUSTER__STABLEAFTERSECONDS</c>...).</param>
    /// <exception cref="PostgresClusterException">PostgreSQL is not installed or did not start.</exception>
    public static async Task<LocalFleet> StartAsync(int boards, int nodes, string directory, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? ready = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var postgres = TemporaryPostgresCluster.Start();
        var started = new List<ServeProcess>();
        try
        {
            // Once, before any node: several nodes creating the tables at once on an empty database race.
            await JournalSchema.EnsureCreatedAsync(postgres.Journal, CancellationToken.None);
            var data = Enumerable.Range(0, nodes).Select(i => Path.Combine(directory, $"node-{i.ToString(CultureInfo.InvariantCulture)}")).ToList();
            var tenants = new TenantStore(data[0]);
            var keys = new Dictionary<string, string> { ["admin"] = tenants.Add("admin", true), ["alice"] = tenants.Add("alice", false) };
            foreach (var other in data.Skip(1))
            {
                System.IO.Directory.CreateDirectory(other);
                File.Copy(Path.Combine(data[0], TenantStore.FileName), Path.Combine(other, TenantStore.FileName), overwrite: true);
            }
            var ports = data.Select(_ => ServeProcess.FreePort()).ToList();
            var members = ports.Select(p => $"akka.tcp://{ClusterSettings.SystemName}@127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}").ToList();
            for (var i = 0; i < nodes; i++)
            {
                var settings = new Dictionary<string, string>
                {
                    ["DPR__JOURNAL"] = "postgres",
                    ["DPR__CONNECTION"] = postgres.ConnectionString,
                    ["DPR__CLUSTER__ENABLED"] = "true",
                    ["DPR__CLUSTER__PORT"] = ports[i].ToString(CultureInfo.InvariantCulture),
                    ["DPR__CLUSTER__SEEDNODES__0"] = members[0],
                    ["DPR__CLUSTER__BOARDS"] = boards.ToString(CultureInfo.InvariantCulture),
                };
                foreach (var (key, value) in environment ?? new Dictionary<string, string>())
                {
                    settings[key] = value;
                }
                started.Add(ServeProcess.Start(data[i], ServeProcess.FreePort(), settings));
            }
            var fleet = new LocalFleet(directory, postgres, started, members, keys);
            await Task.WhenAll(started.Select(n => n.WaitReadyAsync(ready ?? TimeSpan.FromMinutes(3))));
            return fleet;
        }
        catch
        {
            foreach (var node in started)
            {
                node.Dispose();
            }
            postgres.Dispose();
            throw;
        }
    }

    /// <summary>Every node still running stopped with SIGTERM (each leaves the cluster), then PostgreSQL and the directory removed.</summary>
    public void Dispose()
    {
        foreach (var node in _nodes.Where(n => !n.HasExited))
        {
            node.Terminate();
        }
        foreach (var node in _nodes)
        {
            try
            {
                node.WaitForExit(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                // Killed by WaitForExit.
            }
            node.Dispose();
        }
        _postgres.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing process: the temporary directory is left behind.
        }
    }
}
