using Dpr.Actors.Regions;
using Dpr.Host.Regions;
using Microsoft.Data.Sqlite;

namespace Dpr.Host.Tests.Regions;

/// <summary>
/// The real host process (<c>dotnet dpr.dll region-host</c>) SIGKILLed at random points while it
/// swaps, restarted on the same SQLite file each time.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-crash-{Guid.NewGuid():N}");

    [Fact]
    public void Twenty_kills_during_swaps_leave_a_readable_journal_without_gaps_and_a_settled_partition()
    {
        var loop = new CrashLoop(_directory, seed: 20);

        var tally = loop.Run(20);

        Assert.True(tally.Problems.Count == 0, string.Join(Environment.NewLine, tally.Problems));
        Assert.Equal(0, tally.FinalExit);
        // Swaps were completed, so the final start recovers a module and (the simulated board being
        // empty in a new process) reloads it: the partition is Loaded, never Unknown or Loading.
        Assert.Equal(RegionStatus.Loaded, tally.FinalStatus);
        Assert.True(tally.SwapsCompleted >= 20, tally.ToString());
        // Every start after a swap was on record reloaded once: for an interrupted swap when the kill
        // came mid-swap, else because the new process's board does not hold the module.
        Assert.Equal(tally.StartsAfterSwaps, tally.RecoveryReloads);
        Assert.Equal(tally.KilledMidSwap, tally.RecoveryReasons.GetValueOrDefault("recovery: the last swap has no outcome on record"));

        // The audit itself can fail: the same journal with one event removed has a gap.
        var copy = Path.Combine(_directory, "gap.db");
        File.Copy(loop.DatabasePath, copy);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM journal WHERE sequence_number = 2";
            Assert.Equal(1, delete.ExecuteNonQuery());
        }
        using var audit = new JournalAudit();
        var gap = audit.Audit(copy, SimulatedConvRegion.PersistenceId);
        Assert.Contains("sequence number 3 where 2 was expected", gap.Problems);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
