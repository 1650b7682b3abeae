using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>The SQLite job index (<c>./data/jobs.db</c>): finished jobs written once, read back, listed, found by key, deleted past the retention.</summary>
public sealed class JobIndexTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dpr-index-{Guid.NewGuid():N}");
    private readonly JobIndex _index;

    public JobIndexTests() => _index = new JobIndex(Path.Combine(_directory, "jobs.db"));

    [Fact]
    public Task A_record_is_stored_once_and_read_back_exactly() => JobIndexChecks.A_record_is_stored_once_and_read_back_exactly(_index);

    [Fact]
    public Task A_tenants_jobs_are_listed_newest_first_by_state_and_limit() => JobIndexChecks.A_tenants_jobs_are_listed_newest_first_by_state_and_limit(_index);

    [Fact]
    public Task Idempotency_keys_are_found_per_tenant() => JobIndexChecks.Idempotency_keys_are_found_per_tenant(_index);

    [Fact]
    public Task Jobs_finished_before_a_horizon_come_oldest_first_and_go_with_the_blobs_they_name() =>
        JobIndexChecks.Jobs_finished_before_a_horizon_come_oldest_first_and_go_with_the_blobs_they_name(_index);

    [Fact]
    public async Task Records_stored_together_share_a_commit_and_survive_a_reopen()
    {
        var jobs = Enumerable.Range(0, 2000).Select(i => JobIndexChecks.Finished("t1", DateTimeOffset.UnixEpoch.AddSeconds(i))).ToList();
        await Task.WhenAll(jobs.Chunk(100).Select(chunk => _index.StoreAsync(chunk)));
        _index.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var again = new JobIndex(Path.Combine(_directory, "jobs.db"));
        Assert.Equal(2000, again.Count());
        Assert.Equal(jobs[1999], again.Find(jobs[1999].JobId));
    }

    public void Dispose()
    {
        _index.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
