using Akka.Actor;
using Akka.Persistence.TestKit;
using Dpr.Actors.Audit;
using Dpr.TestKit;

namespace Dpr.Actors.Tests.Audit;

/// <summary>The audit trail's actor: an entry is acknowledged once stored, and a new incarnation, which replays nothing, goes on numbering after the last.</summary>
public class AuditActorTests : Akka.TestKit.Xunit2.TestKit
{
    public AuditActorTests()
        : base(TestNode.Config)
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    private static AuditEvents.ActionRecorded Entry(string action) =>
        new(DateTimeOffset.UtcNow, "ops", "default", "127.0.0.1", action, "conv", null, "ok", 200, null);

    [Fact]
    public async Task Entries_are_numbered_from_one_and_a_restarted_trail_goes_on_after_the_last()
    {
        var trail = Sys.ActorOf(AuditActor.Props());
        Assert.Equal(0, (await trail.Ask<AuditReplies.Highest>(new AuditCommands.GetHighest())).SequenceNr);
        Assert.Equal(1, (await trail.Ask<AuditReplies.Recorded>(new AuditCommands.Record(Entry("region.load")))).SequenceNr);
        Assert.Equal(2, (await trail.Ask<AuditReplies.Recorded>(new AuditCommands.Record(Entry("region.reset")))).SequenceNr);
        await trail.GracefulStop(TimeSpan.FromSeconds(5));

        var again = Sys.ActorOf(AuditActor.Props());

        Assert.Equal(2, (await again.Ask<AuditReplies.Highest>(new AuditCommands.GetHighest())).SequenceNr);
        Assert.Equal(3, (await again.Ask<AuditReplies.Recorded>(new AuditCommands.Record(Entry("tenant.add")))).SequenceNr);
    }

    [Fact]
    public async Task A_refused_write_is_not_acknowledged()
    {
        var trail = Sys.ActorOf(AuditActor.Props());
        var probe = CreateTestProbe();

        await Journal.OnWrite.Fail();
        Watch(trail);
        trail.Tell(new AuditCommands.Record(Entry("region.load")), probe.Ref);

        // Akka.Persistence stops an actor whose write failed; its supervisor in the service starts it again.
        await ExpectTerminatedAsync(trail);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        await Journal.OnWrite.Pass();
    }
}
