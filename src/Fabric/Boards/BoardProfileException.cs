namespace Dpr.Fabric.Boards;

/// <summary>A board profile is wrong or a name does not exist; <see cref="Field"/> is the JSON path of the culprit.</summary>
public sealed class BoardProfileException(string field, string problem) : Exception($"{field}: {problem}")
{
    public string Field { get; } = field;

    public string Problem { get; } = problem;
}
