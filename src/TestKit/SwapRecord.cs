using Dpr.Actors.Regions;

namespace Dpr.TestKit;

/// <summary>A swap event a region manager stored: <see cref="RegionEvents.SwapStarted"/>, <see cref="RegionEvents.SwapCompleted"/> or <see cref="RegionEvents.SwapFailed"/>.</summary>
public sealed record SwapRecord(string Partition, string Module, SwapStep Step, IRegionEvent Event);
