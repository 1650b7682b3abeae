namespace Dpr.Actors.Regions;

/// <summary>An event in a partition's journal (<c>region-{board}-{partition}</c>).</summary>
public interface IRegionEvent : IDprMessage
{
    DateTimeOffset At { get; }
}
