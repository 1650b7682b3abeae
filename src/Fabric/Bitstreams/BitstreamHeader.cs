namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// The TLV header of a <c>.bit</c> file (FORMAT-NOTES §1): <c>a</c> design info, <c>b</c> part,
/// <c>c</c> date, <c>d</c> time, <c>e</c> the payload's byte length.
/// </summary>
public sealed record BitstreamHeader(string DesignInfo, string Part, string Date, string Time, uint PayloadLength, int PayloadOffset)
{
    /// <summary>Vivado writes <c>PARTIAL=TRUE</c> into <c>a</c> for partial bitstreams only.</summary>
    public bool SaysPartial => DesignInfo.Contains("PARTIAL=TRUE", StringComparison.OrdinalIgnoreCase);

    /// <summary>The design name: the part of <c>a</c> before the first ';'.</summary>
    public string Design => DesignInfo.Split(';', 2)[0];
}
