using Dpr.Actors.Jobs;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>What every <see cref="IJobIndex"/> must do, checked on the SQLite one (<see cref="JobIndexTests"/>) and the PostgreSQL one (<see cref="PostgresJobStoresTests"/>).</summary>
internal static class JobIndexChecks
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    public static JobRecord Finished(string tenant, DateTimeOffset acceptedAt, JobState state = JobState.Completed, string? key = null, string? blob = null, DateTimeOffset? finishedAt = null) =>
        new(Guid.NewGuid(), tenant, "conv3x3_int8", state, null, acceptedAt, "conv", state == JobState.Failed ? "bad luck" : null, 2,
            acceptedAt.AddTicks(12_345), finishedAt ?? acceptedAt.AddSeconds(1), blob, key);

    public static async Task A_record_is_stored_once_and_read_back_exactly(IJobIndex index)
    {
        var job = Finished("t1", T0.AddTicks(7), JobState.Failed, key: "k", blob: new string('a', 64));

        await index.StoreAsync([job]);
        await index.StoreAsync([job with { Error = "a second outcome is never stored" }]);

        Assert.Equal(job, index.Find(job.JobId));
        Assert.Null(index.Find(Guid.NewGuid()));
        var open = job with { JobId = Guid.NewGuid(), State = JobState.Running, FinishedAt = null };
        // Refused before it reaches the writer, whose failures are the database's only.
        Assert.Throws<ArgumentException>(() => { _ = index.StoreAsync([open]); });
    }

    public static async Task A_tenants_jobs_are_listed_newest_first_by_state_and_limit(IJobIndex index)
    {
        var tenant = $"t-{Guid.NewGuid():N}";
        var jobs = Enumerable.Range(0, 6).Select(i => Finished(tenant, T0.AddSeconds(i), i % 2 == 0 ? JobState.Completed : JobState.Cancelled)).ToList();
        // Stored in another order than accepted.
        await index.StoreAsync([.. Enumerable.Reverse(jobs).Take(3)]);
        await index.StoreAsync([.. jobs.Take(3), Finished($"other-{tenant}", T0.AddHours(1))]);

        Assert.Equal(Enumerable.Reverse(jobs).Select(j => j.JobId), index.List(tenant, null, 10).Select(j => j.JobId));
        Assert.Equal([jobs[5].JobId, jobs[3].JobId], index.List(tenant, JobState.Cancelled, 2).Select(j => j.JobId));
        Assert.Empty(index.List(tenant, JobState.Queued, 10));
        Assert.Empty(index.List($"nobody-{tenant}", null, 10));
    }

    public static async Task Idempotency_keys_are_found_per_tenant(IJobIndex index)
    {
        var tenant = $"t-{Guid.NewGuid():N}";
        var (a, b) = (Finished(tenant, T0, key: "k1"), Finished($"other-{tenant}", T0, key: "k1"));
        await index.StoreAsync([a, b, Finished(tenant, T0)]);

        var found = index.FindKeys([(tenant, "k1"), (tenant, "k2"), ($"other-{tenant}", "k1")]);

        Assert.Equal(new Dictionary<(string, string), Guid> { [(tenant, "k1")] = a.JobId, [($"other-{tenant}", "k1")] = b.JobId }, found);
        Assert.Empty(index.FindKeys([]));
    }

    public static async Task Jobs_finished_before_a_horizon_come_oldest_first_and_go_with_the_blobs_they_name(IJobIndex index)
    {
        var tenant = $"t-{Guid.NewGuid():N}";
        var blob = new string('b', 64);
        // Long before any other check's jobs, which must stay.
        var old = Enumerable.Range(0, 5).Select(i => Finished(tenant, DateTimeOffset.UnixEpoch, blob: i == 0 ? blob : null, finishedAt: DateTimeOffset.UnixEpoch.AddMinutes(5 - i))).ToList();
        await index.StoreAsync(old);

        var first = index.FinishedBefore(DateTimeOffset.UnixEpoch.AddMinutes(10), 3);

        Assert.Equal([old[4].JobId, old[3].JobId, old[2].JobId], first.Select(j => j.JobId));
        Assert.True(index.Names(blob));
        Assert.Equal(2, index.Delete([old[0].JobId, old[1].JobId, Guid.NewGuid()]));
        Assert.False(index.Names(blob));
        Assert.Equal(3, index.FinishedBefore(DateTimeOffset.UnixEpoch.AddMinutes(10), 10).Count);
        Assert.Empty(index.FinishedBefore(DateTimeOffset.UnixEpoch.AddMinutes(1), 10));
    }
}
