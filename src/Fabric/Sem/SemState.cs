namespace Dpr.Fabric.Sem;

/// <summary>The controller's state, as its state change report codes it (PG036 v4.1, Table 3-2 "State Change Report Decoding").</summary>
public enum SemState
{
    Idle = 0x00,
    Initialization = 0x01,
    Observation = 0x02,
    Correction = 0x04,
    Classification = 0x08,
    Injection = 0x10,
    FatalError = 0x1F,
}
