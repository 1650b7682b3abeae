using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Host.Fleet;

namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// <see cref="TenantIntakeActor"/> with a probe in the place of the boards' shard region: a submission with an
/// idempotency key goes to the board that has the key, whatever placement would choose, and is not placed while a
/// board cannot say (it could hold the first attempt, which would then run twice).
/// </summary>
public sealed class FleetIntakeKeyTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly JobRequest Keyed = new("alice", "conv3x3_int8", 1, "same", 0, "requantized",
        [1, 1, 6, 6], new byte[36], [1, 1, 3, 3], new byte[9], IdempotencyKey: "retry-1");

    private (IActorRef Intake, Akka.TestKit.TestProbe Boards) Start()
    {
        var boards = CreateTestProbe();
        var intake = Sys.ActorOf(TenantIntakeActor.Props(new FleetBoards(boards.Ref, ["b0", "b1"], TimeSpan.FromSeconds(10)), TimeSpan.FromMilliseconds(10), new JobIntakeOptions(), TimeProvider.System));
        return (intake, boards);
    }

    [Fact]
    public void A_keyed_submission_goes_to_the_board_that_has_the_key()
    {
        var (intake, boards) = Start();
        var id = Guid.NewGuid();

        intake.Tell(new TenantCommands.Submit("alice", new JobCommands.Submit(Keyed), DateTimeOffset.MaxValue));

        for (var i = 0; i < 2; i++)
        {
            var find = boards.ExpectMsg<BoardCommands.FindKey>();
            Assert.Equal(("alice", "retry-1"), (find.Query.Tenant, find.Query.Key));
            boards.Reply(new JobReplies.KeyHeld(find.Board == "b1"));
        }
        var submit = boards.ExpectMsg<BoardCommands.Submit>();
        Assert.Equal(("b1", Keyed), (submit.Board, submit.Job.Request));
        boards.Reply(new JobReplies.Accepted(id, Duplicate: true));
        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((id, true), (a.JobId, a.Duplicate)));
    }

    [Fact]
    public void A_keyed_submission_is_refused_for_a_retry_while_a_board_cannot_say_whether_it_has_the_key()
    {
        var (intake, boards) = Start();

        intake.Tell(new TenantCommands.Submit("alice", new JobCommands.Submit(Keyed), DateTimeOffset.MaxValue));

        var first = boards.ExpectMsg<BoardCommands.FindKey>();
        boards.Reply(new JobReplies.KeyHeld(false));
        var second = boards.ExpectMsg<BoardCommands.FindKey>();
        Assert.Equal(["b0", "b1"], new[] { first.Board, second.Board }.Order(StringComparer.Ordinal));
        // The other board stays silent: nothing is placed, the client is told to retry.
        var refused = ExpectMsg<JobReplies.Rejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(RejectionCode.JournalUnavailable, refused.Code);
        Assert.Contains($"board(s) {second.Board} did not say whether they hold idempotency key 'retry-1'", refused.Message);
        Assert.NotNull(refused.RetryAfter);
        boards.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_tenants_second_submission_is_decided_only_once_the_first_is_stored_so_it_finds_the_key()
    {
        var (intake, boards) = Start();
        var id = Guid.NewGuid();
        BoardReplies.Load Idle(string board) => new(board, "node", [], 1, 1, [], [], [], []);

        intake.Tell(new TenantCommands.Submit("alice", new JobCommands.Submit(Keyed), DateTimeOffset.MaxValue));
        intake.Tell(new TenantCommands.Submit("alice", new JobCommands.Submit(Keyed), DateTimeOffset.MaxValue));

        for (var i = 0; i < 2; i++)
        {
            boards.ExpectMsg<BoardCommands.FindKey>();
            boards.Reply(new JobReplies.KeyHeld(false));
        }
        for (var i = 0; i < 2; i++)
        {
            boards.Reply(Idle(boards.ExpectMsg<BoardCommands.GetLoad>().Board));
        }
        var placed = boards.ExpectMsg<BoardCommands.Submit>();
        var firstBoard = boards.LastSender;
        // The second waits while the first is not stored: it is not even asked about yet.
        boards.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        firstBoard.Tell(new JobReplies.Accepted(id, Duplicate: false));
        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((id, false), (a.JobId, a.Duplicate)));

        for (var i = 0; i < 2; i++)
        {
            var find = boards.ExpectMsg<BoardCommands.FindKey>();
            boards.Reply(new JobReplies.KeyHeld(find.Board == placed.Board));
        }
        Assert.Equal(placed.Board, boards.ExpectMsg<BoardCommands.Submit>().Board);
        boards.Reply(new JobReplies.Accepted(id, Duplicate: true));
        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal((id, true), (a.JobId, a.Duplicate)));
    }

    [Fact]
    public void A_fleet_nodes_intake_hands_each_submission_to_its_tenants_intake_which_answers_the_caller()
    {
        var boards = CreateTestProbe();
        var tenants = CreateTestProbe();
        var fleet = Sys.ActorOf(FleetIntakeActor.Props(new FleetBoards(boards.Ref, ["b0", "b1"], TimeSpan.FromSeconds(10)), tenants.Ref, TimeProvider.System));
        // It wakes every board first.
        Assert.Equal(["b0", "b1"], new[] { boards.ExpectMsg<BoardCommands.GetLoad>().Board, boards.ExpectMsg<BoardCommands.GetLoad>().Board });
        var id = Guid.NewGuid();

        fleet.Tell(new JobCommands.Submit(Keyed));

        var submit = tenants.ExpectMsg<TenantCommands.Submit>();
        Assert.Equal(("alice", Keyed), (submit.Tenant, submit.Job.Request));
        // The caller waits as long as for a board (10 s here): past that the tenant's intake does not place it.
        Assert.InRange(submit.NotAfter - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        tenants.Reply(new JobReplies.Accepted(id, Duplicate: false));
        ExpectMsg<JobReplies.Accepted>(a => Assert.Equal(id, a.JobId));
    }

    [Fact]
    public void A_submission_still_waiting_when_its_caller_stopped_waiting_is_refused_unplaced()
    {
        var (intake, boards) = Start();

        intake.Tell(new TenantCommands.Submit("alice", new JobCommands.Submit(Keyed), DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1)));

        var refused = ExpectMsg<JobReplies.Rejected>();
        Assert.Equal(RejectionCode.JournalUnavailable, refused.Code);
        Assert.Contains("waited behind tenant 'alice''s others past its caller's timeout and was not placed", refused.Message);
        boards.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
