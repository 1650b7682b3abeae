namespace Dpr.Actors.Regions;

/// <summary>What a partition is known to hold.</summary>
public enum RegionStatus
{
    /// <summary>Nothing loaded since the static design (or never).</summary>
    Empty,

    /// <summary>A swap is under way (or was, when the service stopped).</summary>
    Loading,

    /// <summary>A module is loaded and its driver bound.</summary>
    Loaded,

    /// <summary>An upset was reported; the module is being rewritten.</summary>
    Scrubbing,

    /// <summary>The frames may hold anything (an interrupted or failed write): reloaded before use.</summary>
    Unknown,

    /// <summary>Too many failures; only an operator's reset brings it back.</summary>
    Faulted,
}
