namespace Dpr.Actors.Regions;

/// <summary>A request to a partition's region manager.</summary>
public interface IRegionCommand : IDprMessage
{
}
