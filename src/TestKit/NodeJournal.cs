namespace Dpr.TestKit;

/// <summary>The node's two journals: the job intake's and the region managers'.</summary>
public enum NodeJournal
{
    Jobs,
    Regions,
}
