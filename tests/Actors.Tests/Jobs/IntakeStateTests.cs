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

        Assert.Equal((1, 1, JobState.Running, 2), (open.Open, open.OpenPerTenant["t1"], open.Jobs[id].State, open.Jobs[id].Starts));
        Assert.Equal((T0, T0.AddSeconds(1), T0.AddSeconds(3)), (done.Jobs[id].AcceptedAt, done.Jobs[id].StartedAt, done.Jobs[id].FinishedAt));
        Assert.Equal((0, 0, JobState.Completed), (done.Open, done.OpenPerTenant["t1"], done.Jobs[id].State));
        Assert.Null(done.Jobs[id].Request);
        Assert.Same(done, done.Apply(new JobFailed(id, "late", T0)));
        Assert.Equal(id, done.Keys[("t1", "k")]);
    }

    [Fact]
    public void Finished_jobs_before_the_horizon_are_forgotten_with_their_keys_and_open_ones_kept()
    {
        var (old, fresh, running) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var state = Replay(
            new JobAccepted(old, Request(key: "a"), T0), new JobCompleted(old, "r", "conv", T0),
            new JobAccepted(running, Request(), T0),
            new JobAccepted(fresh, Request(), T0.AddHours(2)), new JobFailed(fresh, "x", T0.AddHours(2)));

        var forgotten = state.Forget(T0.AddHours(1));

        Assert.Equal([running, fresh], forgotten.PerTenant["t1"]);
        Assert.False(forgotten.Jobs.ContainsKey(old));
        Assert.Empty(forgotten.Keys);
        Assert.Equal(1, forgotten.Open);
    }

    [Fact]
    public void A_job_is_kept_for_the_retention_after_it_finished_however_long_it_waited()
    {
        var waitedLong = Guid.NewGuid();
        var state = Replay(new JobAccepted(waitedLong, Request(), T0), new JobCompleted(waitedLong, "r", "conv", T0.AddHours(2)));

        Assert.True(state.Forget(T0.AddHours(1)).Jobs.ContainsKey(waitedLong));
        Assert.False(state.Forget(T0.AddHours(3)).Jobs.ContainsKey(waitedLong));
    }

    [Fact]
    public void A_forgotten_job_gives_up_its_blob_only_when_no_kept_job_names_the_same_content()
    {
        var (old, oldShared, fresh, running) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (a, b, c) = (new string('a', 64), new string('b', 64), new string('c', 64));
        var state = Replay(
            new JobAccepted(old, Request(blob: a), T0), new JobCompleted(old, "r", "conv", T0),
            new JobAccepted(oldShared, Request(blob: b), T0), new JobFailed(oldShared, "x", T0),
            new JobAccepted(running, Request(blob: c), T0),
            new JobAccepted(fresh, Request(blob: b), T0.AddHours(2)), new JobCompleted(fresh, "r", "conv", T0.AddHours(2)));
        Assert.Equal(new Dictionary<string, int> { [a] = 1, [b] = 2, [c] = 1 }, state.Blobs);
        Assert.Equal(a, state.Jobs[old].InputBlob);

        var (kept, forgotten) = state.ForgetBefore(T0.AddHours(1));

        Assert.Equal(new[] { old, oldShared }.Order(), forgotten.Jobs.Order());
        // b is still named by the fresh job; c by the running one, which is never forgotten.
        Assert.Equal([a], forgotten.Blobs);
        Assert.Equal(new Dictionary<string, int> { [b] = 1, [c] = 1 }, kept.Blobs);
        Assert.Equal(kept.Blobs, IntakeState.From(kept.ToSnapshot()).Blobs);
        Assert.Same(kept, kept.ForgetBefore(T0.AddHours(1)).Kept);
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

    /// <summary>Random histories over a few jobs and tenants: acceptances, starts and outcomes in any order, some for jobs never accepted.</summary>
    private static Gen<IJobEvent[]> Histories =>
        Gen.ArrayOf(
            from job in Gen.Choose(0, 5)
            from tenant in Gen.Elements("t1", "t2")
            from kind in Gen.Choose(0, 4)
            select Event(new Guid(job, 0, 0, new byte[8]), tenant, kind));

    private static IJobEvent Event(Guid id, string tenant, int kind) => kind switch
    {
        0 => new JobAccepted(id, Request(tenant, key: $"k{id.GetHashCode() % 3}", blob: id.ToByteArray()[0] % 2 == 0 ? new string('e', 64) : null), T0),
        1 => new JobStarted(id, "conv", "conv3x3_int8", 1, T0),
        2 => new JobCompleted(id, "r", "conv", T0),
        3 => new JobFailed(id, "x", T0),
        _ => new JobCancelled(id, "t", T0),
    };

    private static string Describe(IntakeState s) => string.Join(
        "|",
        s.Open,
        string.Join(",", s.OpenPerTenant.Where(t => t.Value != 0).OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")),
        string.Join(",", s.QueuedPerModule.Where(t => t.Value != 0).OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")),
        string.Join(",", s.PerTenant.OrderBy(t => t.Key).Select(t => $"{t.Key}:{string.Join(";", t.Value)}")),
        string.Join(",", s.Jobs.Values.OrderBy(j => j.JobId).Select(j => $"{j.JobId}:{j.State}:{j.Starts}:{j.Error}:{j.StartedAt}:{j.FinishedAt}")),
        string.Join(",", s.Keys.OrderBy(k => k.Value).Select(k => $"{k.Key}={k.Value}")),
        string.Join(",", s.Blobs.OrderBy(b => b.Key).Select(b => $"{b.Key}={b.Value}")));
}
