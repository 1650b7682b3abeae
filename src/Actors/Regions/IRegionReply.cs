namespace Dpr.Actors.Regions;

/// <summary>A region manager's answer.</summary>
public interface IRegionReply : IDprMessage
{
}
