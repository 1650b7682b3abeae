namespace Dpr.Host.Regions;

/// <summary>A <c>dpr region-host</c> child did not start, settle or exit as expected; the message carries its last output lines.</summary>
public sealed class RegionHostException(string message) : Exception(message);
