using Akka.Actor;
using Dpr.Actors.Fleet;
using Dpr.Actors.Jobs;
using Dpr.Actors.Regions;
using Dpr.Host.Service;

namespace Dpr.Host.Fleet;

/// <summary>A board's load as fleet placement and <c>GET /v1/boards</c> see it, read from its regions and its intake.</summary>
public static class BoardLoads
{
    /// <param name="member">The cluster member that hosts the board (its address), or <c>local</c> outside a fleet.</param>
    /// <exception cref="AskTimeoutException">A region or the intake did not answer within the ask timeout.</exception>
    public static async Task<BoardReplies.Load> ReadAsync(DprNode node, string member)
    {
        var queued = node.Intake.Ask<JobReplies.QueueDepths>(new JobCommands.GetQueueDepths(), node.Options.AskTimeout);
        var regions = await RegionsAsync(node);
        var loaded = regions.Where(r => r.Status == RegionStatus.Loaded && r.Module is not null).Select(r => r.Module!).ToArray();
        var idle = regions.Count(r => r.Status == RegionStatus.Empty);
        var depths = await queued;
        return new BoardReplies.Load(node.BoardId, member, loaded, regions.Length, idle, depths.Queued, depths.Work, depths.OpenJobs, depths.OpenWork);
    }

    /// <summary>The board's partitions as its region managers report them.</summary>
    /// <exception cref="AskTimeoutException">A region did not answer within the ask timeout.</exception>
    public static Task<RegionReplies.State[]> RegionsAsync(DprNode node) =>
        Task.WhenAll(node.Regions.Values.Select(r => r.Ask<RegionReplies.State>(new RegionCommands.GetState(), node.Options.AskTimeout)));
}
