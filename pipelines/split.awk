# Splits a data set's labels.csv into train and validation lists, keeping neighbouring
# slices of one patient together:
#   figshare: blocks of 50 consecutive figshare_index values, every fifth block is val;
#   br35h:    by similarity_group, every fifth group is val.
# Usage: awk -F, -v set=figshare|br35h -v part=train|val -v dir=IMAGES [-v type=T] -f split.awk labels.csv
{ sub(/\r$/, "") }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    if (type != "" && $col["tumour_type"] != type) next
    if (set == "figshare") key = int(($col["figshare_index"] - 1) / 50)
    else key = $col["similarity_group"]
    isval = (key % 5 == 4)
    if ((part == "val") == isval) print dir "/" $col["file"]
}
