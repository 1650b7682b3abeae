namespace Dpr.Fabric.Sem;

/// <summary>Whether the SEM controller answers on its monitor line.</summary>
public enum SemLinkStatus
{
    /// <summary>The board profile names no SEM controller.</summary>
    None,

    /// <summary>The line is open and nothing was asked yet, or an answer is still within its time.</summary>
    Waiting,

    /// <summary>The controller answered the last command (or reported on its own) in time.</summary>
    Responding,

    /// <summary>A command went unanswered past its time: no controller on the line, or a hung one.</summary>
    Silent,

    /// <summary>The line cannot be opened, read or written (device or registers not there).</summary>
    Missing,
}
