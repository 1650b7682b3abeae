namespace Dpr.Fabric.Boards;

/// <summary>One row of a CFG_CLB mask burst: the columns whose frame carries the mask word (FORMAT-NOTES §9).</summary>
public sealed record MaskRow(bool Bottom, int Row, IReadOnlyList<int> Columns)
{
    /// <summary>"T0 18-43,50-59,64-73": half and row as the notes write them, then column runs.</summary>
    public override string ToString()
    {
        var runs = new List<string>();
        for (var i = 0; i < Columns.Count;)
        {
            var j = i;
            while (j + 1 < Columns.Count && Columns[j + 1] == Columns[j] + 1)
            {
                j++;
            }
            runs.Add(i == j ? $"{Columns[i]}" : $"{Columns[i]}-{Columns[j]}");
            i = j + 1;
        }
        return $"{(Bottom ? 'B' : 'T')}{Row} {string.Join(',', runs)}";
    }
}
