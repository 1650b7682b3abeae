using Dpr.Actors.Journal;

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
}
