using System.Globalization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Dpr.Actors.Jobs;
using Dpr.Host.Service;

namespace Dpr.Host.Fleet;

/// <summary>The Akka.Hosting wiring of <c>dpr serve --cluster</c> (docs/fleet.md).</summary>
public static class FleetAkkaBuilderExtensions
{
    /// <summary>The shard region (or, on a gateway without boards, its proxy) of the fleet's board entities.</summary>
    public const string BoardRegion = "board";

    /// <summary>The shard region of the tenants' job intakes (<see cref="TenantIntakeActor"/>), on every member.</summary>
    public const string TenantRegion = "tenant-intake";

    /// <summary>
    /// Remoting on <c>Dpr:Cluster:Hostname/Port</c>, cluster membership through the seed nodes with the
    /// node's roles and the split-brain resolver, the board entities sharded by board id (remember-entities
    /// in the journal: a board's actors come back after its node restarts or dies), the tenants' intakes sharded
    /// by tenant on every member, and the fleet's intake in the place of the node's own.
    /// </summary>
    public static AkkaConfigurationBuilder WithDprFleet(this AkkaConfigurationBuilder builder, DprNode node)
    {
        var cluster = node.Options.Cluster;
        var ids = cluster.BoardIds(node.Board.Name);
        var extractor = new BoardMessageExtractor();
        builder
            .WithRemoting(cluster.Hostname, cluster.Port)
            .WithClustering(new ClusterOptions
            {
                Roles = [.. cluster.RoleList],
                SeedNodes = [.. cluster.SeedNodes],
                SplitBrainResolver = cluster.SplitBrain == "keep-oldest" ? new KeepOldestOption() : new KeepMajorityOption(),
            })
            .AddHocon(
                $"""
                akka.cluster.split-brain-resolver.stable-after = {cluster.StableAfterSeconds.ToString(CultureInfo.InvariantCulture)}s
                # A dead node's boards resume elsewhere after detection + stable-after + removal + restart (docs/fleet.md, "Failure"):
                # heartbeats every 0.5 s (Akka: 1 s), and the leader's, the gossip's and sharding's retries at sub-second
                # intervals (Akka: 1 s, 1 s, 2 s), cheap in a fleet of a few nodes.
                akka.cluster.failure-detector.heartbeat-interval = 0.5s
                akka.cluster.failure-detector.acceptable-heartbeat-pause = {cluster.FailureDetectionSeconds.ToString(CultureInfo.InvariantCulture)}s
                akka.cluster.leader-actions-interval = 0.25s
                akka.cluster.unreachable-nodes-reaper-interval = 0.25s
                akka.cluster.gossip-interval = 0.5s
                akka.cluster.sharding.retry-interval = 0.5s
                akka.cluster.sharding.remember-entities-store = eventsourced
                # Boards spread onto a joining node within a round or two (the newer least-shard strategy, up to 20 boards a round).
                akka.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit = 20
                """,
                HoconAddMode.Prepend);
        if (cluster.HostsBoards)
        {
            builder.WithShardRegion<BoardEntityActor>(
                BoardRegion,
                id => BoardEntityActor.Props(id, board => DprNode.Create(node.Options, board)),
                extractor,
                new ShardOptions
                {
                    Role = ClusterSettings.BoardRole,
                    RememberEntities = true,
                    RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                    StateStoreMode = StateStoreMode.Persistence,
                    HandOffStopMessage = BoardEntityActor.HandOff.Instance,
                });
        }
        else
        {
            builder.WithShardRegionProxy<BoardEntityActor>(BoardRegion, ClusterSettings.BoardRole, extractor);
        }
        var quotas = new JobIntakeOptions(MaxOpenJobsPerTenant: node.Options.MaxOpenJobsPerTenant, MaxOpenWorkPerTenant: TimeSpan.FromSeconds(node.Options.MaxOpenWorkSecondsPerTenant));
        // No role: any member, gateway or board, decides the submissions of the tenants whose shards it holds. Nothing
        // to remember: an intake keeps no state between submissions, so one that stops (idle, hand-off) starts on demand.
        builder.WithShardRegion<TenantIntakeActor>(
            TenantRegion,
            (_, registry) => _ => TenantIntakeActor.Props(new FleetBoards(registry.Get<BoardEntityActor>(), ids, node.Options.AskTimeout), cluster.PlacementWithin, quotas, TimeProvider.System),
            new TenantMessageExtractor(),
            new ShardOptions { StateStoreMode = StateStoreMode.Persistence });
        return builder.WithActors((system, registry) =>
        {
            var boards = new FleetBoards(registry.Get<BoardEntityActor>(), ids, node.Options.AskTimeout);
            var fleet = system.ActorOf(FleetIntakeActor.Props(boards, registry.Get<TenantIntakeActor>(), TimeProvider.System), "fleet");
            registry.Register<FleetIntakeActor>(fleet);
            if (cluster.DownDeadMembers)
            {
                system.ActorOf(DeadMemberDowningActor.Props(), "dead-member-downing");
            }
            node.ServeFleet(fleet);
        });
    }
}
