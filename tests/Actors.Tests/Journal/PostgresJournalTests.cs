using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Dpr.Actors.Journal;
using Dpr.Actors.Regions;
using Dpr.Actors.Tests.Regions;
using Npgsql;

namespace Dpr.Actors.Tests.Journal;

/// <summary>The real journal on PostgreSQL 15 (a cluster of the test's own, on a free port): swaps survive the actor system.</summary>
public sealed class PostgresJournalTests
{
    [PostgresFact]
    public async Task Swaps_are_recovered_from_postgresql_after_a_restart()
    {
        using var cluster = TemporaryPostgresCluster.Start();

        await JournalRecovery.SwapsSurviveARestart(cluster.Journal);
    }

    /// <summary>
    /// The swap history (<c>/v1/swaps</c>) reads through the regions query journal: it must look in the
    /// schema the regions journal wrote to (it once looked in <c>journal.journal</c>: 42P01).
    /// </summary>
    [PostgresFact]
    public async Task The_regions_query_journal_reads_the_swaps_the_regions_journal_wrote()
    {
        using var cluster = TemporaryPostgresCluster.Start();
        using var system = cluster.Journal.CreateSystem("dpr-test", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var manager = system.ActorOf(new SimulatedRegion().Props(new RegionOptions(JournalPluginId: JournalSettings.RegionsJournal)), "region");
        Assert.IsType<RegionReplies.Loaded>(await manager.Ask<IRegionReply>(new RegionCommands.Load("conv3x3_int8"), TimeSpan.FromSeconds(20)));

        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(JournalSettings.RegionsQuery);
        var events = await journal.CurrentEventsByPersistenceId(RegionManagerActor.PersistenceIdFor("pynq-z2", SimulatedRegion.Partition.Name), 0, long.MaxValue)
            .RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());

        Assert.Contains(events, e => e.Event is RegionEvents.SwapCompleted { Module: "conv3x3_int8" });
        await system.Terminate();
    }

    /// <summary>
    /// Several hosts (or journals) starting at once against an empty database: each creates the tables,
    /// none fails (without the advisory lock PostgreSQL refused all but one with 23505), and the tables
    /// are where the plugins look for them.
    /// </summary>
    [PostgresFact]
    public async Task Concurrent_schema_initialisations_all_succeed()
    {
        using var cluster = TemporaryPostgresCluster.Start();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => JournalSchema.EnsureCreatedAsync(cluster.Journal, CancellationToken.None))));

        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", connection);
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.Equal(["dpr_blobs", "dpr_jobs", "dpr_results", "journal", "snapshot", "tags"], tables);
    }
}
