using Dpr.Actors.Jobs;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Dpr.Actors.Jobs.JobEvents;

namespace Dpr.Actors.Tests.Jobs;

/// <summary>The intake's state as a pure function of its events, without actors.</summary>
public class IntakeStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static JobRequest Request(string tenant = "t1", string? key = null, string? blob = null) =>
        new(tenant, "conv3x3_int8", 1, "same", 0, "requantized", [1, 1, 3, 3], blob is null ? new byte[9] : [], [1, 1, 3, 3], new byte[9], IdempotencyKey: key, InputBlob: blob);

    private static IntakeState Replay(params IJobEvent[] events) => events.Aggregate(IntakeState.Empty, (s, e) => s.Apply(e));

    [Fact]
    public void A_job_is_counted_open_until_its_one_outcome_and_later_transitions_change_nothing()
    {
        var id = Guid.NewGuid();
        var open = Replay(new JobAccepted(id, Request(key: "k"), T0), new JobStarted(id, "conv", "conv3x3_int8", 1, T0.AddSeconds(1)), new JobStarted(id, "conv", "conv3x3_int8", 2, T0.AddSeconds(2)));
        var done = open.Apply(new JobCompleted(id, "r", "conv", T0.AddSeconds(3)));

        Assert.Equal((1, TenantLoad.Of(Request(key: "k")), JobState.Running, 2), (open.Open, open.OpenPerTenant["t1"], open.Jobs[id].State, open.Jobs[id].Starts));
        Assert.True(open.OpenPerTenant["t1"].Work > TimeSpan.Zero);
        Assert.Equal((T0, T0.AddSeconds(1), T0.AddSeconds(3)), (done.Jobs[id].AcceptedAt, done.Jobs[id].StartedAt, done.Jobs[id].FinishedAt));
        Assert.Equal((0, default(TenantLoad), JobState.Completed), (done.Open, done.OpenPerTenant["t1"], done.Jobs[id].State));
        Assert.Null(done.Jobs[id].Request);
        Assert.Same(done, done.Apply(new JobFailed(id, "late", T0)));
        Assert.Equal(id, done.Keys[("t1", "k")]);
    }

    [Fact]
    public void An_indexed_finished_job_is_let_go_with_its_key_order_and_blob_and_an_open_one_never()
    {
        var (done, running, failed) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (a, b) = (new string('a', 64), new string('b', 64));
        var state = Replay(
            new JobAccepted(done, Request(key: "a", blob: a), T0), new JobCompleted(done, "r", "conv", T0.AddSeconds(1)),
            new JobAccepted(running, Request(key: "r", blob: b), T0.AddSeconds(2)), new JobStarted(running, "conv", "conv3x3_int8", 1, T0.AddSeconds(3)),
            new JobAccepted(failed, Request(blob: b), T0.AddSeconds(4)), new JobFailed(failed, "x", T0.AddSeconds(5)));
        Assert.Equal(new[] { done, failed }.Order(), state.Finished.Select(j => j.JobId).Order());
        Assert.Equal(("a", a), (state.Jobs[done].IdempotencyKey, state.Jobs[done].InputBlob));

        var kept = state.Indexed([done, running, failed, Guid.NewGuid()]);

        Assert.Equal([running], kept.Jobs.Keys);
        Assert.Empty(kept.Finished);
        Assert.Equal([running], kept.PerTenant["t1"].Select(j => j.JobId));
        Assert.Equal(new Dictionary<(string, string), Guid> { [("t1", "r")] = running }, kept.Keys);
        // b is still named by the running job.
        Assert.Equal(new Dictionary<string, int> { [b] = 1 }, kept.Blobs);
        Assert.Equal((1, 1), (kept.Open, kept.OpenPerTenant["t1"].Jobs));
        Assert.Same(kept, kept.Indexed([done, running]));
        Assert.Same(kept, kept.Apply(new JobCompleted(done, "late", "conv", T0.AddSeconds(9))));
    }

    [Fact]
    public void After_many_finished_jobs_are_indexed_only_the_open_ones_are_held()
    {
        var events = new List<IJobEvent>();
        var ids = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            events.Add(new JobAccepted(id, Request(tenant: $"t{i % 4}", key: $"k{i}"), T0.AddMilliseconds(i)));
            if (i % 10 != 0)
            {
                events.Add(new JobCompleted(id, "r", "conv", T0.AddSeconds(10)));
            }
        }
        var state = IntakeState.Empty.ApplyAll(events);

        var held = state.Indexed(state.Finished.Select(j => j.JobId).ToList());

        Assert.Equal(100, held.Jobs.Count);
        Assert.All(held.Jobs.Values, j => Assert.True(j.IsOpen));
        Assert.Equal(100, held.Keys.Count);
        Assert.Equal(100, held.PerTenant.Values.Sum(t => t.Count));
        Assert.Equal(held.Jobs.Count, IntakeState.From(held.ToSnapshot()).Jobs.Count);
    }

    [Fact]
    public void A_tenants_held_jobs_are_listed_by_acceptance_time_newest_first()
    {
        var (first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // Stored in another order than accepted: the order is the acceptance time's, as the index lists.
        var state = Replay(
            new JobAccepted(second, Request(), T0.AddSeconds(2)), new JobAccepted(first, Request(), T0.AddSeconds(1)),
            new JobAccepted(third, Request(), T0.AddSeconds(3)), new JobCompleted(third, "r", "conv", T0.AddSeconds(4)));

        Assert.Equal([third, second, first], state.List("t1", null, 10).Select(j => j.JobId));
        Assert.Equal([second], state.List("t1", JobState.Queued, 1).Select(j => j.JobId));
        Assert.Empty(state.List("t2", null, 10));
    }

    [Fact]
    public void A_snapshot_of_the_previous_version_holds_its_finished_jobs_until_they_are_indexed()
    {
        // Before the index, a snapshot held every finished job within the retention, with its key.
        var (done, open) = (Guid.NewGuid(), Guid.NewGuid());
        var blob = new string('c', 64);
        var old = new IntakeSnapshot([
            new IntakeSnapshot.Job(done, "t1", "conv3x3_int8", "failed", null, T0, "conv", "bad luck", "k1", 1, T0.AddSeconds(1), T0.AddSeconds(2), blob),
            new IntakeSnapshot.Job(open, "t1", "conv3x3_int8", "queued", Request(key: "k2"), T0.AddSeconds(3), null, null, "k2")]);

        var state = IntakeState.From(old);

        var finished = Assert.Single(state.Finished);
        Assert.Equal((done, JobState.Failed, "bad luck", "k1", blob, T0.AddSeconds(2)), (finished.JobId, finished.State, finished.Error, finished.IdempotencyKey, finished.InputBlob, finished.FinishedAt));
        Assert.Equal(done, state.Keys[("t1", "k1")]);
        var indexed = state.Indexed([done]);
        Assert.Equal([open], indexed.Jobs.Keys);
        Assert.Empty(indexed.Blobs);
    }

    [Fact]
    public void A_finished_job_of_a_snapshot_from_before_finish_times_were_kept_finished_at_its_acceptance()
    {
        var done = Guid.NewGuid();
        var old = new IntakeSnapshot([new IntakeSnapshot.Job(done, "t1", "conv3x3_int8", "completed", null, T0, "conv", null, null)]);

        // The index needs a finish time to apply the retention to.
        Assert.Equal(T0, Assert.Single(IntakeState.From(old).Finished).FinishedAt);
    }

    [Fact]
    public void A_snapshot_from_before_blobs_were_kept_still_counts_the_blobs_of_open_jobs()
    {
        var blob = new string('d', 64);
        var old = new IntakeSnapshot([new IntakeSnapshot.Job(Guid.NewGuid(), "t1", "conv3x3_int8", "queued", Request(blob: blob), T0, null, null, null)]);

        Assert.Equal(1, IntakeState.From(old).Blobs[blob]);
    }

    [Property(MaxTest = 200)]
    public Property A_snapshot_restores_the_same_state() =>
        Prop.ForAll(Histories.ToArbitrary(), events =>
        {
            var state = Replay([.. events]);
            var restored = IntakeState.From(state.ToSnapshot());
            return Describe(restored) == Describe(state);
        });

    [Property(MaxTest = 200)]
    public Property Letting_go_of_every_finished_job_keeps_the_open_ones_and_their_counts_and_work() =>
        Prop.ForAll(Histories.ToArbitrary(), events =>
        {
            var state = Replay([.. events]);
            var held = state.Indexed([.. state.Finished.Select(j => j.JobId)]);
            return held.Jobs.Values.All(j => j.IsOpen)
                && held.Jobs.Count == state.Open
                && held.Open == state.Open
                && held.OpenPerTenant.OrderBy(t => t.Key).SequenceEqual(state.OpenPerTenant.OrderBy(t => t.Key))
                && held.OpenPerTenant.All(t => t.Value == held.Jobs.Values.Where(j => j.Tenant == t.Key).Aggregate(default(TenantLoad), (load, j) => load + TenantLoad.Of(j.Request)))
                && held.QueuedPerModule.OrderBy(t => t.Key).SequenceEqual(state.QueuedPerModule.OrderBy(t => t.Key))
                && held.QueuedPerModule.All(t => t.Value == held.Jobs.Values.Where(j => j.State == JobState.Queued && j.Module == t.Key).Aggregate(default(TenantLoad), (load, j) => load + TenantLoad.Of(j.Request)))
                && held.Blobs.Values.Sum() == held.Jobs.Values.Count(j => j.InputBlob is not null)
                && held.Keys.Values.All(held.Jobs.ContainsKey)
                && Describe(IntakeState.From(held.ToSnapshot())) == Describe(held);
        });

    /// <summary>Random histories over a few jobs and tenants: acceptances, starts and outcomes in any order, some for jobs never accepted; all accepted at once (the order of ties is the id's).</summary>
    private static Gen<IJobEvent[]> Histories =>
        Gen.ArrayOf(
            from job in Gen.Choose(0, 5)
            from tenant in Gen.Elements("t1", "t2")
            from kind in Gen.Choose(0, 4)
            select Event(new Guid(job, 0, 0, new byte[8]), tenant, kind));

    private static IJobEvent Event(Guid id, string tenant, int kind) => kind switch
    {
        // A key per job (the intake never accepts a second job with a held key), some jobs without one.
        0 => new JobAccepted(id, Request(tenant, key: id.ToByteArray()[0] % 3 == 0 ? null : $"k{id.ToByteArray()[0]}", blob: id.ToByteArray()[0] % 2 == 0 ? new string('e', 64) : null), T0),
        1 => new JobStarted(id, "conv", "conv3x3_int8", 1, T0),
        2 => new JobCompleted(id, "r", "conv", T0),
        3 => new JobFailed(id, "x", T0),
        _ => new JobCancelled(id, "t", T0),
    };

    private static string Describe(IntakeState s) => string.Join(
        "|",
        s.Open,
        string.Join(",", s.OpenPerTenant.Where(t => t.Value != default).OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")),
        string.Join(",", s.QueuedPerModule.Where(t => t.Value != default).OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")),
        string.Join(",", s.PerTenant.OrderBy(t => t.Key).Select(t => $"{t.Key}:{string.Join(";", t.Value)}")),
        string.Join(",", s.Jobs.Values.OrderBy(j => j.JobId).Select(j => $"{j.JobId}:{j.State}:{j.Starts}:{j.Error}:{j.StartedAt}:{j.FinishedAt}")),
        string.Join(",", s.Keys.OrderBy(k => k.Value).Select(k => $"{k.Key}={k.Value}")),
        string.Join(",", s.Blobs.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Value}")));
}
