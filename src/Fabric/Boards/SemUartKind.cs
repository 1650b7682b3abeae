namespace Dpr.Fabric.Boards;

/// <summary>How dpr reads the SEM controller's monitor interface.</summary>
public enum SemUartKind
{
    /// <summary>A Linux serial device (<c>/dev/ttyPS1</c>, <c>/dev/ttyUL0</c>...).</summary>
    Serial,

    /// <summary>An AXI UART Lite's registers through <c>/dev/mem</c> (PG142), no kernel driver.</summary>
    AxiUartLite,
}
