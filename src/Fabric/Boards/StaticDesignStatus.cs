namespace Dpr.Fabric.Boards;

/// <summary>What <see cref="StaticDesignCheck"/> found in the PL.</summary>
public enum StaticDesignStatus
{
    /// <summary>The PL holds the board's static design: its ID register (or the simulated device) says so.</summary>
    Verified,

    /// <summary>The PL is configured, but nothing tells which design it holds (the profile has no <c>staticId</c>).</summary>
    Unverified,

    /// <summary>The PL holds another design, or none: the board's partitions are not there to serve.</summary>
    Foreign,
}
