<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>FitFusionWeights</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="176"/>
        <source>Fit fusion weights to a reference</source>
        <translation>按参考数据拟合融合权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="179"/>
        <source>Fits one weight per source (SENSOR tag of each product: L8, S2, S1, UAV, ...) so that the weighted mean of the sources' vx and vy best matches a reference: a UAV velocity raster inside reference polygons, or GNSS points (fields vx, vy in m/d, or start_x, start_y, end_x, end_y in the layer CRS with start_date, end_date). All inputs are first brought to one grid (TARGET_CRS, TARGET_RESOLUTION, EXTENT). METHOD: constrained least squares (weights ≥ 0, sum 1; default), unconstrained (sum 1, weights may be negative — unstable on small samples), or inverse-variance (1/mean squared residual of each source). Reports the weights with bootstrap uncertainties, the leave-one-polygon-out (leave-one-station-out) cross-validated RMSE, the RMSE of each source and the number of samples per source. The reference should cover the same period as the products. Output WEIGHTS_TEXT (e.g. 'L8=0.62,S2=0.38') can be typed into Fuse velocity.</source>
        <translation>为每个数据源（各产品的 SENSOR 标签：L8、S2、S1、UAV……）拟合一个权重，使各数据源 vx、vy 的加权平均与参考数据最吻合：参考数据可以是参考多边形内的无人机流速栅格，也可以是 GNSS 点（字段 vx、vy，单位 m/d；或图层坐标系下的 start_x、start_y、end_x、end_y 以及 start_date、end_date）。所有输入先统一到同一网格（TARGET_CRS、TARGET_RESOLUTION、EXTENT）。METHOD：约束最小二乘（权重 ≥ 0，总和为 1；默认）、无约束（总和为 1，权重可为负——小样本时不稳定）或逆方差（各数据源残差均方的倒数）。报告权重及其 bootstrap 不确定度、留一多边形（留一站点）交叉验证 RMSE、各数据源的 RMSE 以及各数据源的样本数。参考数据应与产品覆盖同一时段。输出 WEIGHTS_TEXT（如 'L8=0.62,S2=0.38'）可直接填入“融合流速”。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="194"/>
        <source>Velocity products (one per source)</source>
        <translation>流速产品（每个数据源一个）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="198"/>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="198"/>
        <source>Constrained least squares (W ≥ 0, ΣW = 1)</source>
        <translation>约束最小二乘（W ≥ 0，ΣW = 1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="198"/>
        <source>Unconstrained least squares (ΣW = 1)</source>
        <translation>无约束最小二乘（ΣW = 1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="198"/>
        <source>Inverse variance</source>
        <translation>逆方差</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="204"/>
        <source>Report</source>
        <translation>报告</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="204"/>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="207"/>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="208"/>
        <source>Cross-validated RMSE (m/d)</source>
        <translation>交叉验证 RMSE (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="209"/>
        <source>RMSE of the fit (m/d)</source>
        <translation>拟合 RMSE (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="234"/>
        <source>Fusion weights</source>
        <translation>融合权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="224"/>
        <source>{}: W = {:.3f} ± {:.3f}, samples {}, RMSE alone {:.4f} m/d, bias {:+.4f}</source>
        <translation>{}：W = {:.3f} ± {:.3f}，样本 {}，单独 RMSE {:.4f} m/d，偏差 {:+.4f}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="229"/>
        <source>Weights {}; fit RMSE {:.4f} m/d; cross-validated RMSE {:.4f} m/d over {} held-out groups</source>
        <translation>权重 {}；拟合 RMSE {:.4f} m/d；交叉验证 RMSE {:.4f} m/d（{} 个留出组）</translation>
    </message>
</context>
<context>
    <name>FlowlineProfile</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="82"/>
        <source>Flowline velocity profiles</source>
        <translation>主流线流速剖面</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="85"/>
        <source>Samples velocity products (e.g. the twelve monthly YYYYMM.tif) at points every SPACING metres along glacier flowlines (RGI 7.0 centerlines or lines you draw, digitised from upstream to the terminus), and reports speed v, vx, vy and v_error (m/d) against distance from the line start.

Products are labelled by the month in their file name (YYYYMM), else by the middle of their START_TIME–END_TIME tags. Lines are moved into the first product's CRS (any layer CRS works); the same points are sampled in every product, transformed to its CRS when it differs. SPACING defaults to the first product's pixel size.

Where a line crosses no data the values are NULL, never zero; these gaps are listed in the log and the report. Multi-part lines keep one distance axis (parts in order, the jumps between parts not counted) and a 'part' number.

Outputs: a point layer (one point per line, distance and product), a CSV with the same columns plus x, y, and an HTML report with a speed–distance plot per line (one curve per product, ±v_error shaded when present).</source>
        <translation>沿冰川主流线（RGI 7.0 中心线或自行绘制、由上游向末端数字化的线）每隔 SPACING 米取点，对流速产品（如十二个月度 YYYYMM.tif）采样，并给出流速大小 v、vx、vy 和 v_error (m/d) 随距线起点距离的变化。

产品按文件名中的月份 (YYYYMM) 标注，否则按其 START_TIME–END_TIME 标签的中点标注。线会转换到第一个产品的坐标系（任何图层坐标系均可）；所有产品在同一组点上采样，坐标系不同时点会转换到该产品的坐标系。SPACING 默认为第一个产品的像元大小。

线穿过无数据区时数值为 NULL，绝不为零；这些空缺列在日志和报告中。多部件线共用一条距离轴（各部件按顺序排列，部件之间的跳跃不计入距离），并带有 'part' 编号。

输出：点图层（每条线、每个距离、每个产品一个点）、列相同并附加 x、y 的 CSV 表，以及每条线一张流速–距离图的 HTML 报告（每个产品一条曲线，有 v_error 时以阴影显示 ±v_error）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="102"/>
        <source>Velocity products (e.g. monthly YYYYMM.tif)</source>
        <translation>流速产品（如月度 YYYYMM.tif）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="105"/>
        <source>Flowlines (line layer, drawn upstream → terminus)</source>
        <translation>主流线（线图层，由上游向末端绘制）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="108"/>
        <source>Line id field (default: feature id)</source>
        <translation>线标识字段（默认：要素 ID）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="111"/>
        <source>Point spacing in metres (0 = the first product's pixel size)</source>
        <translation>取点间距，米（0 = 第一个产品的像元大小）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="114"/>
        <source>Sampling</source>
        <translation>采样方式</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="114"/>
        <source>Bilinear</source>
        <translation>双线性</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="114"/>
        <source>Nearest pixel</source>
        <translation>最近像元</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="117"/>
        <source>Profile points</source>
        <translation>剖面点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="119"/>
        <source>Profile table (CSV)</source>
        <translation>剖面表 (CSV)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="119"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="122"/>
        <source>Profile report (HTML)</source>
        <translation>剖面报告 (HTML)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="122"/>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="130"/>
        <source>FLOWLINES is missing; give a line layer of glacier flowlines</source>
        <translation>缺少 FLOWLINES；请给出冰川主流线的线图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="152"/>
        <source>{} line(s), {} points every {} m ({}), {} product(s), {} sampling</source>
        <translation>{} 条线，{} 个点，间距 {} m（{}），{} 个产品，{} 采样</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="163"/>
        <source>line {} lies outside every product; its values are NULL</source>
        <translation>线 {} 位于所有产品之外；其值为 NULL</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="183"/>
        <source>cannot create the OUTPUT point layer; choose another destination</source>
        <translation>无法创建 OUTPUT 点图层；请选择其他输出位置</translation>
    </message>
</context>
<context>
    <name>FuseVelocity</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="261"/>
        <source>Fuse velocity</source>
        <translation>融合流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="281"/>
        <source>Velocity products</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="283"/>
        <source>Weights by source, e.g. L8=0.6,S2=0.4 (empty: inverse variance)</source>
        <translation>各数据源权重，如 L8=0.6,S2=0.4（留空：逆方差）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="289"/>
        <source>Fused velocity</source>
        <translation>融合流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="264"/>
        <source>Weighted fusion of velocity products from several sources on a common grid (TARGET_CRS, default the UTM zone of the data; TARGET_RESOLUTION, default 30 m; EXTENT, default the union of the sources). vx and vy are fused, speed formed afterwards. Where a source has no data its weight is re-distributed over the sources present: w'_i = m_i W_i / Σ m_j W_j. WEIGHTS: 'L8=0.6,S2=0.4' by SENSOR name (e.g. from Fit fusion weights); empty = per-pixel inverse-variance from the sources' errors. Errors: σ_f = √(Σ w'_i² σ_i²) per component, v_error as in ITS_LIVE; σ_i from the vx_error/vy_error (or v_error) bands, else the stable-ground tags, else SOURCE_ERRORS, raised to the local scatter of each source where that is larger (LOCAL_SCATTER, window in source pixels, e.g. 5; default 0 = off). ROBUST (χ², e.g. 9.21; default 0 = off): at each pixel a source that disagrees with the others beyond their errors is dropped (counted in the OUTLIERS tag). Bands: v, vx, vy, v_error, count, vx_error, vy_error (m/d). Coarser grids are resampled by averaging, finer by bilinear interpolation; m/yr inputs are converted to m/d.</source>
        <translation>在公共格网上对多个数据源的流速产品进行加权融合（TARGET_CRS，默认为数据所在的 UTM 带；TARGET_RESOLUTION，默认 30 m；EXTENT，默认为各数据源范围的并集）。先融合 vx 和 vy，再计算速度。某数据源无数据处，其权重重新分配给有数据的数据源：w'_i = m_i W_i / Σ m_j W_j。WEIGHTS：按 SENSOR 名给出，如 'L8=0.6,S2=0.4'（例如来自“拟合融合权重”）；留空 = 按各数据源误差逐像元逆方差加权。误差：每个分量 σ_f = √(Σ w'_i² σ_i²)，v_error 与 ITS_LIVE 相同；σ_i 取自 vx_error/vy_error（或 v_error）波段，否则取稳定地表标签，否则取 SOURCE_ERRORS，在各数据源局部离散度更大处提高到该离散度（LOCAL_SCATTER，源像元窗口，例如 5；默认 0 = 关闭）。ROBUST（χ²，例如 9.21；默认 0 = 关闭）：在每个像元上，与其他数据源的差异超出误差允许范围的数据源被剔除（计入 OUTLIERS 标签）。波段：v、vx、vy、v_error、count、vx_error、vy_error（m/d）。更粗的格网用平均重采样，更细的用双线性插值；m/yr 输入换算为 m/d。</translation>
    </message>
</context>
<context>
    <name>FusionParameters</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="96"/>
        <source>Target CRS (default: UTM zone of the data)</source>
        <translation>目标坐标系（默认：数据所在的 UTM 分带）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="98"/>
        <source>Target resolution (m)</source>
        <translation>目标分辨率 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="101"/>
        <source>Extent (default: union of the sources)</source>
        <translation>范围（默认：各数据源范围的并集）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="106"/>
        <source>Reference velocity product (e.g. UAV, m/d or m/yr)</source>
        <translation>参考流速产品（如无人机，m/d 或 m/yr）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="109"/>
        <source>Reference polygons (where the reference raster is used)</source>
        <translation>参考多边形（参考栅格的使用区域）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="112"/>
        <source>Reference points (GNSS: vx/vy in m/d, or start/end positions and dates)</source>
        <translation>参考点（GNSS：vx/vy 单位 m/d，或起止位置与日期）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="116"/>
        <source>Field of the east velocity vx (m/d)</source>
        <translation>东向流速 vx 字段 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="119"/>
        <source>Field of the north velocity vy (m/d)</source>
        <translation>北向流速 vy 字段 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="136"/>
        <source>1-σ error per source in m/d for sources without an error band, e.g. L8=0.05,S2=0.09 (overrides bands and tags)</source>
        <translation>无误差波段的数据源的 1σ 误差，单位 m/d，如 L8=0.05,S2=0.09（优先于波段和标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="122"/>
        <source>Station / polygon id field (cross-validation groups; default: 'station' if present)</source>
        <translation>站点/多边形 ID 字段（交叉验证分组；默认：若存在则为 'station'）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="143"/>
        <source>Outlier test χ² threshold (2 d.o.f., 9.21 = 99 %; 0 = off)</source>
        <translation>异常值检验 χ² 阈值（自由度 2，9.21 = 99 %；0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="147"/>
        <source>Local-scatter error window in source pixels (odd; 0 = off)</source>
        <translation>局部离散度误差窗口（源像元数，奇数；0 = 关闭）</translation>
    </message>
</context>
<context>
    <name>GlacierStatistics</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="218"/>
        <source>Glacier velocity statistics</source>
        <translation>冰川流速统计</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="234"/>
        <source>Velocity products (e.g. monthly YYYYMM.tif)</source>
        <translation>流速产品（如月度 YYYYMM.tif）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="237"/>
        <source>Glacier outlines (polygon layer)</source>
        <translation>冰川边界（面图层）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="240"/>
        <source>Glacier statistics</source>
        <translation>冰川统计</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="221"/>
        <source>Per glacier outline (e.g. RGI) and per velocity product: mean, median and 95th percentile (the robust maximum) of speed v in m/d over the pixels whose centre lies inside the outline, the count of valid pixels and the coverage of the outline (valid pixels / pixel centres inside the whole outline, also where the product has no footprint; NULL for an outline entirely off the product). Outlines are moved into each product's CRS; overlapping outlines each get all their pixels; multi-part outlines count as one glacier.

The output is the outline layer with its attributes plus five fields per product, named v&lt;label&gt;_mean, _median, _p95, _count, _cover, where &lt;label&gt; is the month YYYYMM from the file name or the START/END tags. Glaciers without a valid pixel get NULL statistics and count 0.</source>
        <translation>对每条冰川轮廓（例如 RGI）和每个流速产品：统计像元中心落在轮廓内的像元的速度 v 的均值、中位数和第 95 百分位数（稳健最大值，m/d），有效像元数，以及轮廓覆盖率（有效像元数 / 整个轮廓内的像元中心数，产品范围外的部分也计入；轮廓完全在产品范围外时为 NULL）。轮廓会转换到各产品的坐标参考系；相互重叠的轮廓各自获得其全部像元；多部件轮廓作为一条冰川统计。

输出为带原有属性的轮廓图层，每个产品增加五个字段，命名为 v&lt;label&gt;_mean、_median、_p95、_count、_cover，其中 &lt;label&gt; 为取自文件名或 START/END 标签的月份 YYYYMM。没有有效像元的冰川统计值为 NULL，计数为 0。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="252"/>
        <source>GLACIERS is missing; give a polygon layer of glacier outlines</source>
        <translation>缺少 GLACIERS；请给出冰川边界的面图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="265"/>
        <source>GLACIERS already has a field '{}'; rename it or remove it before adding the statistics</source>
        <translation>GLACIERS 已有字段“{}”；请在添加统计量前将其重命名或删除</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="276"/>
        <source>, median coverage {:.2f}</source>
        <translation>，覆盖率中位数 {:.2f}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="278"/>
        <source>{} ({}): {} of {} glacier(s) with valid pixels{}</source>
        <translation>{}（{}）：{} / {} 条冰川有有效像元{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="282"/>
        <source>no GLACIERS outline overlaps any pixel of the INPUT products (products: {}); check that the outlines lie over the velocity maps (layer CRS, extent)</source>
        <translation>GLACIERS 中没有冰川边界与 INPUT 产品的任何像元重叠（产品：{}）；请检查边界是否位于流速图上（图层坐标系、范围）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="289"/>
        <source>cannot create the OUTPUT layer; choose another destination</source>
        <translation>无法创建 OUTPUT 图层；请选择其他输出位置</translation>
    </message>
</context>
<context>
    <name>GlacvelAlgorithm</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="33"/>
        <source>Correlation</source>
        <translation>相关匹配</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="34"/>
        <source>Stable ground</source>
        <translation>稳定地表</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="35"/>
        <source>Fusion</source>
        <translation>融合</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="36"/>
        <source>Products</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="471"/>
        <source>Canceled; no output was written.</source>
        <translation>已取消；未写入任何输出。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="268"/>
        <source>{} % done after {} s, about {} s left</source>
        <translation>已完成 {} %，用时 {} 秒，约剩 {} 秒</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="272"/>
        <source>{} % done after {} s</source>
        <translation>已完成 {} %，用时 {} 秒</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="277"/>
        <source>still working: {} % after {} s</source>
        <translation>仍在计算：{} %，已用 {} 秒</translation>
    </message>
</context>
<context>
    <name>GlacvelChainModel</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="40"/>
        <source>Reference (earlier) image</source>
        <translation>参考影像（较早）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="41"/>
        <source>Secondary (later) image</source>
        <translation>次影像（较晚）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="42"/>
        <source>Maximum speed (m/d)</source>
        <translation>最大流速 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="43"/>
        <source>Stable-ground polygons</source>
        <translation>稳定地表多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="44"/>
        <source>Other velocity products</source>
        <translation>其他流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="45"/>
        <source>Fusion weights (e.g. L8=0.6,S2=0.4)</source>
        <translation>融合权重（例如 L8=0.6,S2=0.4）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="46"/>
        <source>Corrected pair velocity</source>
        <translation>校正后的像对流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="47"/>
        <source>Fused velocity</source>
        <translation>融合流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="87"/>
        <source>Velocity chain: correlate, correct, fuse</source>
        <translation>流速流程：相关匹配、校正、融合</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="90"/>
        <source>Correlates an optical image pair (Landsat-8/9 B8 or Sentinel-2 B8), removes the stable-ground (co-registration) offset, then fuses the corrected velocity with products of other sensors. Velocities in m/d, x east, y north.

Reference (earlier) image, Secondary (later) image: GeoTIFF/JP2 of the same sensor; times from the Landsat/Sentinel names, MTL files or tags. Maximum speed (m/d) sets the search range. Stable-ground polygons: ice-free ground; empty = automatic stable ground. Other velocity products: products of other sensors to fuse with (optional). Fusion weights by sensor, e.g. L8=0.6,S2=0.4; empty = inverse variance from the products' errors.

Open the model in the Graphical Modeler (Model → Open Model…) and save a copy to change the steps or their settings.</source>
        <translation>对光学影像像对（Landsat-8/9 B8 或 Sentinel-2 B8）做相关匹配，去除由稳定地表测得的（配准）偏移，再将校正后的流速与其他传感器的产品融合。流速单位 m/d，x 向东，y 向北。

参考影像（较早）、次影像（较晚）：同一传感器的 GeoTIFF/JP2；时间取自 Landsat/Sentinel 文件名、MTL 文件或标签。最大流速 (m/d) 决定搜索范围。稳定地表多边形：无冰地面；留空 = 自动确定稳定地表。其他流速产品：要融合的其他传感器产品（可选）。按传感器给出的融合权重，例如 L8=0.6,S2=0.4；留空 = 按产品误差的逆方差加权。

如需修改步骤或其设置，请在图形建模器中打开该模型（模型 → 打开模型…）并另存一份副本。</translation>
    </message>
</context>
<context>
    <name>GlacvelMenus</name>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="128"/>
        <source>Glacier velocity</source>
        <translation>冰川流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="45"/>
        <source>Scene and pair chooser…</source>
        <translation>影像与像对选择器…</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="46"/>
        <source>Reference polygons and fusion weights…</source>
        <translation>参考多边形与融合权重…</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="48"/>
        <source>Style selected velocity layer</source>
        <translation>为所选流速图层设置样式</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="50"/>
        <source>Add flow arrows for selected layer</source>
        <translation>为所选图层添加流向箭头</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="115"/>
        <source>Select a glacvel velocity product (a raster with a band named v or v_error).</source>
        <translation>请选择一个 glacvel 流速产品（含名为 v 或 v_error 波段的栅格）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="125"/>
        <source>select a velocity layer first</source>
        <translation>请先选择一个流速图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="126"/>
        <source>arrows</source>
        <translation>箭头</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="54"/>
        <source>Velocity time series at a point</source>
        <translation>单点流速时间序列</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/menus.py" line="58"/>
        <source>Click on a glacier to plot the velocity of every loaded glacvel product there</source>
        <translation>点击冰川上一点，绘制所有已加载 glacvel 产品在该点的流速</translation>
    </message>
</context>
<context>
    <name>GlacvelMessages</name>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="102"/>
        <source>cannot save the drawn polygons: {}</source>
        <translation>无法保存绘制的多边形：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_analysis.py" line="38"/>
        <source>INPUT has no velocity product; give one or more glacvel products (e.g. the monthly YYYYMM.tif files)</source>
        <translation>INPUT 中没有流速产品；请给出一个或多个 glacvel 产品（如月度 YYYYMM.tif 文件）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="39"/>
        <source>{} has no polygon; give a polygon layer with features</source>
        <translation>{} 中没有多边形；请给出含要素的面图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="263"/>
        <source>REFERENCE_GNSS: {} is not a folder; give the folder that holds the GNSS station files</source>
        <translation>REFERENCE_GNSS：{} 不是文件夹；请给出存放 GNSS 测站文件的文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="269"/>
        <source>REFERENCE_GNSS: the folder {} holds no file</source>
        <translation>REFERENCE_GNSS：文件夹 {} 中没有文件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="200"/>
        <source>give exactly one reference: REFERENCE_POINTS (GNSS) or REFERENCE_RASTER (e.g. UAV velocity, with REFERENCE_POLYGONS)</source>
        <translation>请只给出一种参考数据：REFERENCE_POINTS（GNSS）或 REFERENCE_RASTER（如无人机流速，配合 REFERENCE_POLYGONS）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="53"/>
        <source>{} is empty; give one or more glacvel velocity products</source>
        <translation>{} 为空；请给出一个或多个 glacvel 流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="41"/>
        <source>{} is empty</source>
        <translation>{} 为空</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="51"/>
        <source>{} {} is not a date (use YYYY-MM-DD)</source>
        <translation>{} {} 不是日期（请使用 YYYY-MM-DD）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="104"/>
        <source>REFERENCE_POINTS needs fields '{}' and '{}' (velocity in m/d) or the fields {}, {}, {}, {} (positions in the layer CRS) and {}, {}; the layer has {}</source>
        <translation>REFERENCE_POINTS 需要字段“{}”和“{}”（流速，m/d），或字段 {}、{}、{}、{}（图层坐标系中的位置）以及 {}、{}；该图层的字段为 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="104"/>
        <source>no fields</source>
        <translation>无字段</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/reference_layers.py" line="167"/>
        <source>feature {}: {} must be after {}</source>
        <translation>要素 {}：{} 必须晚于 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="156"/>
        <source>LOCAL_SCATTER must be 0 or an odd window ≥ 3, got {}</source>
        <translation>LOCAL_SCATTER 必须为 0 或 ≥ 3 的奇数窗口，当前为 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="32"/>
        <source>stable-ground polygons</source>
        <translation>稳定地表多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="33"/>
        <source>outside the glacier outlines minus the buffer</source>
        <translation>冰川边界之外（扣除缓冲区）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="35"/>
        <source>automatic: slowest 25 % of good-quality pixels about the stable-ground offset</source>
        <translation>自动：稳定地表偏移附近流速最慢的 25 % 高质量像元</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="45"/>
        <source>give a velocity product as INPUT</source>
        <translation>请给出流速产品作为 INPUT</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="57"/>
        <source>{} covers no pixel of the product: the polygons lie outside the raster (or are smaller than a pixel); choose polygons over the scene</source>
        <translation>{} 未覆盖产品的任何像元：多边形位于栅格之外（或小于一个像元）；请选择位于影像上的多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_workflows.py" line="54"/>
        <source>cannot read the Processing model {}</source>
        <translation>无法读取处理模型 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="18"/>
        <source>polygon</source>
        <translation>面</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="19"/>
        <source>line</source>
        <translation>线</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="20"/>
        <source>point</source>
        <translation>点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="21"/>
        <source>non-spatial</source>
        <translation>非空间</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="41"/>
        <source>{} is empty (the layer has no features); give a layer with {} features</source>
        <translation>{} 为空（图层没有要素）；请给出含{}要素的图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/vector.py" line="46"/>
        <source>{} must be a {} layer, but the layer given has {} geometries; choose a {} layer</source>
        <translation>{} 必须是{}图层，但给出的图层是{}几何；请选择{}图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="324"/>
        <source>no {} image given</source>
        <translation>未给出 {} 影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="614"/>
        <source>{}: {} does not exist; check the path (or pick the layer from the project)</source>
        <translation>{}：{} 不存在；请检查路径（或从工程中选择图层）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="626"/>
        <source>{}: {} exists but is neither a raster nor a vector file GDAL can read (damaged, or another format); give a GeoTIFF raster</source>
        <translation>{}：{} 存在，但不是 GDAL 可读的栅格或矢量文件（已损坏或为其他格式）；请给出 GeoTIFF 栅格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="631"/>
        <source>{}: {} exists but is neither a raster nor a vector file GDAL can read (damaged, or another format); give a vector layer</source>
        <translation>{}：{} 存在，但不是 GDAL 可读的栅格或矢量文件（已损坏或为其他格式）；请给出矢量图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="637"/>
        <source>{}: {} is a vector file, not a raster layer; give a raster (GeoTIFF) here</source>
        <translation>{}：{} 是矢量文件，不是栅格图层；此处请给出栅格（GeoTIFF）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="640"/>
        <source>{}: {} is a raster file, not a vector layer; give a vector layer here</source>
        <translation>{}：{} 是栅格文件，不是矢量图层；此处请给出矢量图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="652"/>
        <source>{}: feature {} (row {}), field '{}': {} is not a number; correct the value, or leave it empty to skip the row</source>
        <translation>{}：要素 {}（第 {} 行），字段“{}”：{} 不是数字；请更正该值，或留空以跳过该行</translation>
    </message>
</context>
<context>
    <name>GlacvelProvider</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/provider.py" line="44"/>
        <source>Glacier velocity</source>
        <translation>冰川流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/provider.py" line="47"/>
        <source>Glacier velocity (glacvel {})</source>
        <translation>冰川流速 (glacvel {})</translation>
    </message>
</context>
<context>
    <name>ImportGnss</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="50"/>
        <source>Import GNSS stations</source>
        <translation>导入 GNSS 站点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="53"/>
        <source>Reads GNSS station files (CSV with a header row) into the point layer that Fit fusion weights, Validate velocity and Monthly velocity take as REFERENCE_POINTS. Every row is one station observed at two dates: positions at a start and an end date give the velocity (end − start)/Δt in m/d at the midpoint, or a location with a velocity in m/d is given directly. LAYOUT: 'kaskawulsh' (the GLAFT *_GPS files: date1 is the later date, start_easting/start_northing the position at date1), 'positions' (station, start_date, end_date, start_x, start_y, end_x, end_y) or 'velocity' (station, start_date, end_date, x, y, vx, vy). COLUMNS renames columns of the layout, e.g. 'station=id,start_x=e0'. Rows of a station not observed on one of the dates are skipped and counted; text in a numeric column, a missing column or an end date not after the start date stop with the file, line and column named. CRS: the coordinate system of the positions (projected, metres; default EPSG:32607 for the kaskawulsh layout).</source>
        <translation>将 GNSS 站点文件（带表头行的 CSV）读入点图层，供“拟合融合权重”“验证流速”和“月流速”作为 REFERENCE_POINTS 使用。每一行是在两个日期观测的一个站点：由起止日期的位置得到中点处的流速 (end − start)/Δt（m/d），或直接给出位置和流速（m/d）。LAYOUT：'kaskawulsh'（GLAFT 的 *_GPS 文件：date1 为较晚日期，start_easting/start_northing 为 date1 时的位置）、'positions'（station、start_date、end_date、start_x、start_y、end_x、end_y）或 'velocity'（station、start_date、end_date、x、y、vx、vy）。COLUMNS 重命名格式中的列，例如 'station=id,start_x=e0'。某站点在其中一个日期未观测的行会被跳过并计数；数值列中的文本、缺少的列或结束日期不晚于开始日期时停止，并指出文件、行和列。CRS：位置的坐标系（投影坐标，米；kaskawulsh 格式默认 EPSG:32607）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="69"/>
        <source>GNSS files (CSV)</source>
        <translation>GNSS 文件（CSV）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="71"/>
        <source>Layout</source>
        <translation>文件格式</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="73"/>
        <source>Column names (ROLE=COLUMN, overriding the layout)</source>
        <translation>列名（角色=列名，覆盖格式中的默认列）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="76"/>
        <source>Field separator</source>
        <translation>字段分隔符</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="78"/>
        <source>CRS of the positions (projected, metres; empty: EPSG:32607 for the kaskawulsh layout)</source>
        <translation>位置的坐标参考系（投影坐标，米；留空：kaskawulsh 格式为 EPSG:32607）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="81"/>
        <source>GNSS stations</source>
        <translation>GNSS 站点数</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="83"/>
        <source>Station velocities</source>
        <translation>站点流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="84"/>
        <source>Rows without data</source>
        <translation>无数据的行</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="92"/>
        <source>INPUT is empty; give one or more GNSS CSV files</source>
        <translation>INPUT 为空；请给出一个或多个 GNSS CSV 文件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="101"/>
        <source>CRS is not valid; give the CRS of the positions (e.g. EPSG:32607)</source>
        <translation>CRS 无效；请给出位置坐标的坐标系（如 EPSG:32607）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="104"/>
        <source>CRS {} is geographic (degrees); GNSS positions must be projected coordinates in metres (e.g. UTM), or use the 'velocity' layout with vx, vy in m/d</source>
        <translation>CRS {} 为地理坐标系（度）；GNSS 位置必须是以米为单位的投影坐标（如 UTM），或使用以 m/d 给出 vx、vy 的“velocity”格式</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="122"/>
        <source>{} station velocities from {} file(s); {} row(s) without data skipped</source>
        <translation>从 {} 个文件得到 {} 个测站流速；跳过 {} 行无数据记录</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_gnss.py" line="126"/>
        <source>the GNSS files hold no station with positions at both dates</source>
        <translation>GNSS 文件中没有在两个日期都有位置的测站</translation>
    </message>
</context>
<context>
    <name>ImportVelocity</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="56"/>
        <source>Import velocity rasters</source>
        <translation>导入流速栅格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="86"/>
        <source>East velocity vx</source>
        <translation>东向流速 vx</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="88"/>
        <source>North velocity vy</source>
        <translation>北向流速 vy</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="90"/>
        <source>Error of vx (1 sigma)</source>
        <translation>vx 误差 (1σ)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="92"/>
        <source>Error of vy (1 sigma)</source>
        <translation>vy 误差 (1σ)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="94"/>
        <source>Units of the inputs</source>
        <translation>输入单位</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="94"/>
        <source>m/d</source>
        <translation>m/d</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="94"/>
        <source>m/yr</source>
        <translation>m/yr</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="94"/>
        <source>m over the time baseline</source>
        <translation>时间基线内的位移 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="98"/>
        <source>Start (earlier image) time, UTC</source>
        <translation>起始（前一景影像）时间，UTC</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="100"/>
        <source>End (later image) time, UTC</source>
        <translation>结束（后一景影像）时间，UTC</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="102"/>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="104"/>
        <source>No-data value of the inputs</source>
        <translation>输入的无数据值</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="107"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="150"/>
        <source>Time baseline from the file name: {} to {}</source>
        <translation>由文件名得到的时间基线：{} 至 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="198"/>
        <source>Imported {} valid pixels, {} to m/d with factor {}</source>
        <translation>已导入 {} 个有效像元，{} 以系数 {} 换算为 m/d</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="59"/>
        <source>Builds a glacvel velocity product from external rasters (CARST, GLAFT, ITS_LIVE, COSI-Corr, SNAP exports) or from an ITS_LIVE image-pair granule, so every glacvel algorithm (fusion, monthly velocity included) accepts them.

GRANULE: an ITS_LIVE image-pair netCDF file (autoRIFT layout: variables vx, vy, v, v_error in meter/year, grid mapping 'mapping', pair dates in img_pair_info). Velocities are converted to m/d (÷ 365.25 d), the grid and projection are the granule's (north-up), START_DATE/END_DATE default to its acquisition dates and SENSOR (when left 'unknown') to its satellite (L8, S2, S1, ...). A netCDF file given as VX is read the same way. UNITS and NODATA are then not used (the granule's own units and fill value are).

VX, VY: east and north components (north-positive), one band each, on the same grid. VX_ERROR, VY_ERROR (optional): their 1-sigma errors in the same units.
UNITS: m/d, m/yr (ITS_LIVE; divided by 365.25 d) or metres of displacement over the time baseline (divided by END_DATE - START_DATE).
START_DATE, END_DATE: acquisition times of the earlier and later image; when left empty they are read from two YYYYMMDD dates in the VX file name.
NODATA: no-data value of the inputs (the files' own no-data value is also used).

The output has bands v, vx, vy (m/d), dx, dy (metres over the baseline) and, when errors are given, vx_error, vy_error and v_error (m/d; v_error = sqrt((sx*vx)^2 + (sy*vy)^2)/|v|). The grid is kept as it is: algorithms that need a common grid reproject.</source>
        <translation>由外部栅格（CARST、GLAFT、ITS_LIVE、COSI-Corr、SNAP 导出结果）或 ITS_LIVE 像对文件生成 glacvel 流速产品，使所有 glacvel 算法（包括融合和月度流速）都能使用。

GRANULE：ITS_LIVE 像对 netCDF 文件（autoRIFT 格式：变量 vx、vy、v、v_error，单位 m/yr，网格映射变量“mapping”，像对日期在 img_pair_info 中）。流速换算为 m/d（除以 365.25 天），网格和投影沿用像对文件的（北向朝上），START_DATE/END_DATE 默认取其获取日期，SENSOR（保持“unknown”时）默认取其卫星（L8、S2、S1 等）。作为 VX 给出的 netCDF 文件也按同样方式读取。此时不使用 UNITS 和 NODATA（使用像对文件自身的单位和填充值）。

VX、VY：东向和北向分量（北为正），各一个波段，位于同一网格。VX_ERROR、VY_ERROR（可选）：相同单位的 1σ 误差。
UNITS：m/d、m/yr（ITS_LIVE；除以 365.25 天）或时间基线内的位移米数（除以 END_DATE - START_DATE）。
START_DATE、END_DATE：前后两景影像的获取时间；留空时从 VX 文件名中的两个 YYYYMMDD 日期读取。
NODATA：输入的无数据值（文件自身的无数据值也会使用）。

输出波段为 v、vx、vy (m/d)，dx、dy（基线内位移，米），给出误差时另有 vx_error、vy_error 和 v_error（m/d；v_error = sqrt((sx*vx)^2 + (sy*vy)^2)/|v|）。网格保持不变：需要公共网格的算法会自行重投影。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="83"/>
        <source>ITS_LIVE granule (netCDF)</source>
        <translation>ITS_LIVE 像对文件 (netCDF)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="83"/>
        <source>ITS_LIVE netCDF granules (*.nc *.nc4)</source>
        <translation>ITS_LIVE netCDF 像对文件 (*.nc *.nc4)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="124"/>
        <source>give either an ITS_LIVE granule or VX and VY rasters, not both</source>
        <translation>请给出 ITS_LIVE 像对文件或 VX 与 VY 栅格，不要同时给出</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="129"/>
        <source>give both VX and VY rasters, or an ITS_LIVE granule (netCDF)</source>
        <translation>请同时给出 VX 和 VY 栅格，或给出 ITS_LIVE 像对文件 (netCDF)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="134"/>
        <source>give both VX_ERROR and VY_ERROR, or neither</source>
        <translation>请同时给出 VX_ERROR 和 VY_ERROR，或都不给</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="145"/>
        <source>set START_DATE and END_DATE: the VX file name {} holds no pair of YYYYMMDD dates</source>
        <translation>请设置 START_DATE 和 END_DATE：VX 文件名 {} 中没有一对 YYYYMMDD 日期</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="171"/>
        <source>{} ({}, {}x{}) is not on the grid of VX ({}x{}, same transform and CRS needed); warp it onto the VX grid first</source>
        <translation>{}（{}，{}x{}）与 VX 不在同一网格（{}x{}，需相同的仿射变换和坐标系）；请先将其重采样到 VX 网格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="179"/>
        <source>VX is in a geographic CRS; velocity grids must be projected (metres): warp the rasters to UTM first</source>
        <translation>VX 为地理坐标系；流速网格必须是投影坐标（米）：请先将栅格重投影到 UTM</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="186"/>
        <source>VX and VY have no pixel with data in both; check NODATA</source>
        <translation>VX 和 VY 没有同时有数据的像元；请检查 NODATA</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="206"/>
        <source>Reading ITS_LIVE granule {}</source>
        <translation>读取 ITS_LIVE 像对文件 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="212"/>
        <source>{} has no acquisition dates (img_pair_info attributes acquisition_date_img1 and acquisition_date_img2): set START_DATE and END_DATE</source>
        <translation>{} 没有获取日期（img_pair_info 属性 acquisition_date_img1 和 acquisition_date_img2）：请设置 START_DATE 和 END_DATE</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="232"/>
        <source>{}: its date_dt ({:.3f} d) differs from the time baseline of the dates used ({:.3f} d)</source>
        <translation>{}：其 date_dt（{:.3f} 天）与所用日期的时间基线（{:.3f} 天）不一致</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="238"/>
        <source>{} has no pixel with both vx and vy (all fill values)</source>
        <translation>{} 没有同时有 vx 和 vy 的像元（全部为填充值）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_import.py" line="258"/>
        <source>Imported {} valid pixels of {} ({} {} to {}), meter/year to m/d</source>
        <translation>已导入 {} 个有效像元，来自 {}（{}，{} 至 {}），由 m/yr 换算为 m/d</translation>
    </message>
</context>
<context>
    <name>MonthlyVelocity</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="337"/>
        <source>Monthly velocity (YYYYMM.tif)</source>
        <translation>月度流速 (YYYYMM.tif)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="369"/>
        <source>Pair velocity products</source>
        <translation>像对流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="376"/>
        <source>Minimum share of a pair's time baseline inside a month</source>
        <translation>像对时间基线落在月内的最小比例</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="380"/>
        <source>Year (0 = the months spanned by the pairs)</source>
        <translation>年份（0 = 像对所跨的月份）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="415"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="423"/>
        <source>Months written</source>
        <translation>已写出的月份</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="424"/>
        <source>Months without data</source>
        <translation>无数据的月份</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="340"/>
        <source>Monthly products from pair products spanning any period. Each pair is assigned to the calendar months it overlaps, if the overlap is at least MIN_OVERLAP of its time baseline. Per source (SENSOR tag) and month the pairs are averaged with weights overlap/(error·Δt) (ITS_LIVE-style), then the sources are fused. Weights: fixed WEIGHTS ('L8=0.6,S2=0.4'); or fitted per month against a reference (REFERENCE_POINTS with start_date/end_date per feature, e.g. from Import GNSS stations, or REFERENCE_RASTER inside REFERENCE_POLYGONS), using the reference falling in the month (WEIGHT_WINDOW months on each side widen the period). METHOD: error-calibrated (default: each source's per-pixel error is scaled by its misfit to the month's reference, then per-pixel inverse variance), or fixed weights by constrained/unconstrained least squares or inverse variance. A month with fewer than MIN_REFERENCE_SAMPLES samples of MIN_REFERENCE_GROUPS stations/polygons falls back to the neighbouring months, then to the fit over all months, then to inverse variance, and the month fit is shrunk towards the all-month fit with strength SHRINKAGE (tag WEIGHTS_BASIS names what was used); empty = per-pixel inverse variance. LOCAL_SCATTER raises each pair's error to its local scatter where that is larger (window in source pixels; default 5, 0 = off); ROBUST (χ², default 9.21) drops at each pixel a source that disagrees with the others beyond their errors (counted in the OUTLIERS tag). One YYYYMM.tif (bands v, vx, vy, v_error, count, vx_error, vy_error in m/d; count = pairs; SENSOR = the source's name when only one source has pairs that month, else FUSED) per month with data in OUTPUT_FOLDER; SOURCE_COMPOSITES also writes YYYYMM_&lt;SENSOR&gt;.tif per source. With a reference, the weights of every month and a leave-one-station/polygon-out validation (fused and each source) go to OUTPUT_TABLE (CSV). YEAR (optional) asks for the twelve months of a year; months without data are reported.</source>
        <translation>由跨越任意时段的像对产品生成月度产品。每个像对被分配到它所覆盖的各个日历月，前提是与该月的重叠至少占其时间基线的 MIN_OVERLAP。按数据源（SENSOR 标签）和月份，像对以 重叠/(误差·Δt) 为权重平均（ITS_LIVE 方式），然后融合各数据源。权重：固定的 WEIGHTS（'L8=0.6,S2=0.4'）；或按月相对参考数据拟合（REFERENCE_POINTS，每个要素带 start_date/end_date，例如来自“导入 GNSS 站点”；或 REFERENCE_POLYGONS 内的 REFERENCE_RASTER），使用落在该月内的参考数据（WEIGHT_WINDOW 向前后各扩展若干个月）。METHOD：误差校准（默认：按各数据源与该月参考数据的偏差缩放其逐像元误差，再做逐像元逆方差加权），或用约束/无约束最小二乘或逆方差拟合固定权重。样本少于 MIN_REFERENCE_SAMPLES、站点/多边形少于 MIN_REFERENCE_GROUPS 的月份依次退回到相邻月份、全时段拟合、逆方差，并且月度拟合以强度 SHRINKAGE 向全时段拟合收缩（WEIGHTS_BASIS 标签说明所用依据）；留空 = 逐像元逆方差。LOCAL_SCATTER 在局部离散度更大处将每个像对的误差提高到该离散度（源像元窗口；默认 5，0 = 关闭）；ROBUST（χ²，默认 9.21）在每个像元上剔除与其他数据源差异超出误差允许范围的数据源（计入 OUTLIERS 标签）。在 OUTPUT_FOLDER 中为每个有数据的月份写出一个 YYYYMM.tif（波段 v、vx、vy、v_error、count、vx_error、vy_error，单位 m/d；count = 像对数；当月只有一个数据源时 SENSOR 为该数据源名称，否则为 FUSED）；SOURCE_COMPOSITES 还为每个数据源写出 YYYYMM_&lt;SENSOR&gt;.tif。有参考数据时，每个月的权重以及留一站点/多边形的验证（融合产品和各数据源）写入 OUTPUT_TABLE（CSV）。YEAR（可选）指定一年的十二个月；无数据的月份会被报告。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="371"/>
        <source>Weights by source, e.g. L8=0.6,S2=0.4 (empty: fitted to the reference, or inverse variance)</source>
        <translation>按数据源的权重，例如 L8=0.6,S2=0.4（留空：按参考数据拟合，或逆方差）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="385"/>
        <source>Weight fit method (with a reference)</source>
        <translation>权重拟合方法（有参考数据时）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="385"/>
        <source>Constrained least squares (W ≥ 0, ΣW = 1)</source>
        <translation>约束最小二乘（W ≥ 0，ΣW = 1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="385"/>
        <source>Unconstrained least squares (ΣW = 1)</source>
        <translation>无约束最小二乘（ΣW = 1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="385"/>
        <source>Inverse variance</source>
        <translation>逆方差</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="385"/>
        <source>Error-calibrated per-pixel inverse variance</source>
        <translation>误差校准的逐像元逆方差</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="391"/>
        <source>Months on each side pooled into a month's weight fit</source>
        <translation>每月权重拟合时向前后各合并的月数</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="394"/>
        <source>Reference samples (vx, vy components) a month needs for its own weights</source>
        <translation>一个月单独拟合权重所需的参考样本数（vx、vy 分量）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="398"/>
        <source>Stations / polygons a month needs for its own weights</source>
        <translation>一个月单独拟合权重所需的站点/多边形数</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="402"/>
        <source>Shrinkage towards the all-month weights (prior samples n0; 0 = none)</source>
        <translation>向全时段权重收缩的强度（先验样本数 n0；0 = 不收缩）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="406"/>
        <source>Minimum share of a reference period inside a month</source>
        <translation>参考时段落在某月内的最小比例</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="412"/>
        <source>Also write per-source composites YYYYMM_&lt;SENSOR&gt;.tif</source>
        <translation>同时写出各数据源的合成产品 YYYYMM_&lt;SENSOR&gt;.tif</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="417"/>
        <source>Weights and validation per month (CSV)</source>
        <translation>逐月权重与验证（CSV）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="417"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="420"/>
        <source>Report: weights and held-out validation per month</source>
        <translation>报告：逐月权重与留出验证</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="420"/>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="485"/>
        <source>Monthly velocity: weights and validation</source>
        <translation>月流速：权重与验证</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="485"/>
        <source>Held-out validation (leave one station/polygon out)</source>
        <translation>留出验证（每次留出一个站点/多边形）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="439"/>
        <source>give either WEIGHTS or a reference (REFERENCE_POINTS / REFERENCE_RASTER) to fit weights per month, not both</source>
        <translation>请给出 WEIGHTS 或用于逐月拟合权重的参考数据（REFERENCE_POINTS / REFERENCE_RASTER），不要同时给出</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="470"/>
        <source>{}: held-out vector RMSE over {} stations/polygons: fused {:.4f} m/d; {}</source>
        <translation>{}：{} 个测站/多边形的留出矢量 RMSE：融合 {:.4f} m/d；{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="474"/>
        <source>Months without data: {}</source>
        <translation>无数据的月份：{}</translation>
    </message>
</context>
<context>
    <name>OpticalCorrelationAlgorithm</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="47"/>
        <source>Optical image correlation (velocity)</source>
        <translation>光学影像相关匹配（流速）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="88"/>
        <source>Reference image (earlier)</source>
        <translation>参考影像（较早）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="90"/>
        <source>Reference band (empty = band 1 of a single-band image)</source>
        <translation>参考影像波段（留空 = 单波段影像的第 1 波段）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="93"/>
        <source>Secondary image (later)</source>
        <translation>次影像（较晚）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="95"/>
        <source>Secondary band (empty = band 1 of a single-band image)</source>
        <translation>次影像波段（留空 = 单波段影像的第 1 波段）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="98"/>
        <source>Reference acquisition time (UTC; empty = from the data)</source>
        <translation>参考影像获取时间（UTC；留空 = 从数据读取）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="101"/>
        <source>Secondary acquisition time (UTC; empty = from the data)</source>
        <translation>次影像获取时间（UTC；留空 = 从数据读取）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="104"/>
        <source>Window (chip) size [px]</source>
        <translation>窗口（模板）大小 [像元]</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="107"/>
        <source>Step [px] (0 = automatic: 30 m output grid)</source>
        <translation>步长 [像元]（0 = 自动：30 m 输出网格）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="110"/>
        <source>Maximum speed [m/d] (sets the search range)</source>
        <translation>最大流速 [m/d]（决定搜索范围）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="113"/>
        <source>Pre-filter</source>
        <translation>预滤波</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="113"/>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="113"/>
        <source>High-pass</source>
        <translation>高通</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="113"/>
        <source>Wallis</source>
        <translation>Wallis</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="113"/>
        <source>Orientation images</source>
        <translation>方向影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="117"/>
        <source>Correlation method</source>
        <translation>相关匹配方法</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="117"/>
        <source>Phase correlation</source>
        <translation>相位相关</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="117"/>
        <source>Normalised cross-correlation (NCC)</source>
        <translation>归一化互相关 (NCC)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="117"/>
        <source>Fast dense matching (Lucas-Kanade with window deformation)</source>
        <translation>快速稠密匹配（带窗口形变的 Lucas-Kanade）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="117"/>
        <source>Coarse search, deformable Lucas-Kanade, phase correlation where it is rejected (default)</source>
        <translation>粗搜索、可形变 Lucas-Kanade、在其被拒绝处用相位相关（默认）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="128"/>
        <source>Normalised median test threshold (0 = off)</source>
        <translation>归一化中值检验阈值（0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="133"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="140"/>
        <source>the reference image cannot be read; give a raster file GDAL can open</source>
        <translation>无法读取参考影像；请提供 GDAL 能打开的栅格文件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="143"/>
        <source>the secondary image cannot be read; give a raster file GDAL can open</source>
        <translation>无法读取次影像；请提供 GDAL 能打开的栅格文件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="124"/>
        <source>Minimum quality (0 = no threshold; negative values apply to NCC/LK, -1..1)</source>
        <translation>最小质量（0 = 无阈值；负值用于 NCC/LK，范围 -1..1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="167"/>
        <source>Δt = {} d ({} → {} UTC)</source>
        <translation>Δt = {} 天（{} → {} UTC）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="181"/>
        <source>aligning the secondary image on the reference grid, then a coarse search on the image pyramid and the full-resolution pass strip by strip</source>
        <translation>将次影像对齐到参考影像格网，然后在影像金字塔上进行粗搜索，再逐条带进行全分辨率匹配</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="197"/>
        <source>window {} px, step {} px, search {} px, grid {} × {}, valid {} %</source>
        <translation>窗口 {} px，步长 {} px，搜索 {} px，格网 {} × {}，有效 {} %</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="177"/>
        <source>{} {} has no nodata value and {}; 0 and 65535 are treated as no data (stripes filled from their surroundings)</source>
        <translation>{} {} 没有无数据值，且{}；0 和 65535 被视为无数据（条带由周围像元填补）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="195"/>
        <source>no window could be matched: {}</source>
        <translation>没有窗口能匹配成功：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_correlation.py" line="50"/>
        <source>Measures glacier surface displacement between an earlier (reference) and a later (secondary) optical image, e.g. Landsat-8 band 8 (15 m) or Sentinel-2 band 8 (10 m), and writes a glacvel velocity product: bands v, vx, vy (m/d; x east, y north), dx, dy (metres over the time baseline) and quality, one value per window centre.

The secondary image is aligned on the reference grid over the overlap. A coarse NCC search over the range set by the maximum speed finds large displacements. The default method then refines every window by dense Lucas-Kanade matching with window deformation (the windows deform with the flow) and measures again by phase correlation the windows where that refinement is rejected, its quality is below 0.5 or the displacement changes by more than 6 px across the window (shear margins, calving fronts), at every second window there, the windows between taking the interpolation of neighbours that agree within 1 px, or the best of them where they differ by more than 5 px: fast and precise on slow ice and rock, complete in fast, sheared ice. Its quality is the NCC of the reference window and the matched secondary window (-1..1); on the Yahtse pair a minimum quality of 0.2 removes 84 % of the windows that differ from phase correlation by more than 2 px and 4 % of those within 0.5 px (docs/correlation.md). The other methods measure every window with one engine: phase correlation (quality = phase coherence 0..1), normalised cross-correlation (quality = NCC peak) or Lucas-Kanade alone (quality = NCC of the deformed windows; windows below 0.3 are left out; where it fails, phase correlation searches on a sparse grid and Lucas-Kanade restarts from there, but it leaves more no data in fast, sheared ice). Outliers (quality below the threshold, normalised median test, faster than the maximum speed) become no data.

Minimum quality: windows whose quality is below it become no data; exactly 0 switches the threshold off. Any other value is applied, negative ones too: NCC and Lucas-Kanade quality lies in -1..1, so e.g. -0.05 removes only clearly anti-correlated windows (to reject every window with a negative NCC give a small positive value such as 0.01); phase coherence lies in 0..1, so a negative threshold removes nothing there.
Bands: leave empty for single-band images; multi-band images need a band choice.
Times: when empty they are read from Landsat/Sentinel names, MTL files or tags.
Step: 0 = automatic, the step giving a 30 m grid (2 px on Landsat-8 B8, 3 px on Sentinel-2 B8). Pre-filter: high-pass (default), Wallis, orientation images (Heid &amp; Kääb 2012) or none.</source>
        <translation>测量较早（参考）与较晚（次）两景光学影像之间的冰川表面位移，例如 Landsat-8 第 8 波段（15 m）或 Sentinel-2 第 8 波段（10 m），并写出 glacvel 流速产品：波段 v、vx、vy（m/d；x 向东，y 向北），dx、dy（时间基线内的位移，米）和 quality，每个窗口中心一个值。

次影像在重叠区内对齐到参考影像网格。先在由最大流速决定的范围内做粗分辨率 NCC 搜索以找到大位移。默认方法随后以带窗口形变的稠密 Lucas-Kanade 匹配（窗口随流动形变）细化每个窗口，并在细化被拒绝、quality 低于 0.5 或位移在窗口内变化超过 6 像元处（剪切边缘、崩解前缘）用相位相关重新测量，在这些区域每隔一个窗口测量一次，其间的窗口取相差不超过 1 像元的相邻测量的插值，相差超过 5 像元时取其中质量最高的一个：在慢速冰体和基岩上快速而精确，在快速、强烈剪切的冰体中也完整。其 quality 为参考窗口与匹配的次窗口的 NCC（-1..1）；在 Yahtse 像对上，最小质量 0.2 去除了与相位相关相差 2 像元以上窗口的 84 %，以及相差 0.5 像元以内窗口的 4 %（见 docs/correlation.md）。其他方法对每个窗口只用一种引擎：相位相关（quality = 相位相干性 0..1）、归一化互相关（quality = NCC 峰值）或单独的 Lucas-Kanade（quality = 形变后窗口的 NCC；低于 0.3 的窗口被舍弃；在其失败处，相位相关在稀疏网格上重新搜索，Lucas-Kanade 再从该结果出发，但在快速剪切的冰体中留下更多无数据）。异常值（quality 低于阈值、未通过归一化中值检验、快于最大流速）设为无数据。

最小质量：quality 低于该值的窗口设为无数据；恰好为 0 时不设阈值。其他任何值（包括负值）都会生效：NCC 与 Lucas-Kanade 的 quality 范围为 -1..1，例如 -0.05 只去除明显负相关的窗口（要去除所有 NCC 为负的窗口，请给一个小的正值，如 0.01）；相位相干性范围为 0..1，负阈值在那里不去除任何窗口。
波段：单波段影像留空；多波段影像需选择波段。
时间：留空时从 Landsat/Sentinel 文件名、MTL 文件或标签读取。
步长：0 = 自动，即得到 30 m 网格的步长（Landsat-8 B8 为 2 像元，Sentinel-2 B8 为 3 像元）。预滤波：高通（默认）、Wallis、方向影像（Heid &amp; Kääb，2012）或不滤波。</translation>
    </message>
</context>
<context>
    <name>ReferenceDialog</name>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="111"/>
        <source>all stations</source>
        <translation>全部站点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="179"/>
        <source>Glacier velocity — reference polygons and fusion weights</source>
        <translation>冰川流速 — 参考多边形与融合权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="188"/>
        <source>Velocity sources to weight</source>
        <translation>待定权的流速数据源</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="192"/>
        <source>Velocity products (*.tif *.tiff)</source>
        <translation>流速产品 (*.tif *.tiff)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="193"/>
        <source>Products (Landsat, Sentinel-1, Sentinel-2…)</source>
        <translation>产品（Landsat、Sentinel-1、Sentinel-2…）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="196"/>
        <source>Reference</source>
        <translation>参考数据</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="198"/>
        <source>UAV velocity raster(s) inside polygons</source>
        <translation>多边形内的无人机流速栅格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="199"/>
        <source>GNSS station points</source>
        <translation>GNSS 站点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="207"/>
        <source>UAV velocity products (*.tif *.tiff)</source>
        <translation>无人机流速产品 (*.tif *.tiff)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="208"/>
        <source>UAV velocity raster(s)</source>
        <translation>无人机流速栅格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="215"/>
        <source>Draw on map</source>
        <translation>在地图上绘制</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="217"/>
        <source>Left click adds a vertex, right click closes the polygon</source>
        <translation>左键添加顶点，右键闭合多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="220"/>
        <source>Reference polygons</source>
        <translation>参考多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="227"/>
        <source>GNSS point layer</source>
        <translation>GNSS 点图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="229"/>
        <source>Constrained least squares (W ≥ 0, ΣW = 1)</source>
        <translation>约束最小二乘（W ≥ 0，ΣW = 1）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="230"/>
        <source>Unconstrained least squares</source>
        <translation>无约束最小二乘</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="231"/>
        <source>Inverse variance</source>
        <translation>逆方差</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="232"/>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="236"/>
        <source>Count reference pixels</source>
        <translation>统计参考像元</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="323"/>
        <source>Polygon</source>
        <translation>多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="242"/>
        <source>Reference pixels</source>
        <translation>参考像元数</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="252"/>
        <source>Fit weights</source>
        <translation>拟合权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="255"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="280"/>
        <source>Draw a polygon: left click adds vertices, right click closes it.</source>
        <translation>绘制多边形：左键添加顶点，右键闭合。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="290"/>
        <source>reference polygons</source>
        <translation>参考多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="297"/>
        <source>polygon {}</source>
        <translation>多边形 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="364"/>
        <source>choose a GNSS point layer</source>
        <translation>请选择 GNSS 点图层</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="315"/>
        <source>GNSS stations</source>
        <translation>GNSS 站点数</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="319"/>
        <source>choose the UAV velocity raster(s)</source>
        <translation>请选择无人机流速栅格</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="321"/>
        <source>choose or draw reference polygons</source>
        <translation>请选择或绘制参考多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="324"/>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="344"/>
        <source>{} reference values in {} polygons.</source>
        <translation>{} 个参考值，分布在 {} 个多边形中。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="346"/>
        <source>No reference data in: {}.</source>
        <translation>以下多边形内没有参考数据：{}。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="359"/>
        <source>choose at least two velocity products to weight</source>
        <translation>请至少选择两个待定权的流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="369"/>
        <source>choose the UAV velocity raster(s) and the reference polygons</source>
        <translation>请选择无人机流速栅格和参考多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="381"/>
        <source>Processing algorithm not available: {}</source>
        <translation>Processing 算法不可用：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="385"/>
        <source>glacvel weights</source>
        <translation>glacvel 权重</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="387"/>
        <source>Fitting weights in the background…</source>
        <translation>正在后台拟合权重…</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="395"/>
        <source>Fit failed: {}</source>
        <translation>拟合失败：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="400"/>
        <source>Weights ({}): {}</source>
        <translation>权重（{}）：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/reference_dialog.py" line="402"/>
        <source>cross-validated RMSE {:.3f} m/d</source>
        <translation>交叉验证 RMSE {:.3f} m/d</translation>
    </message>
</context>
<context>
    <name>SarOffsetTracking</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="32"/>
        <source>SAR offset tracking (Sentinel-1 GRD)</source>
        <translation>SAR 偏移量跟踪（Sentinel-1 GRD）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="65"/>
        <source>Reference (earlier) Sentinel-1 GRD image</source>
        <translation>参考（较早）Sentinel-1 GRD 影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="67"/>
        <source>Secondary (later) Sentinel-1 GRD image</source>
        <translation>次影像（较晚）Sentinel-1 GRD 影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="69"/>
        <source>Backscatter scale</source>
        <translation>后向散射量纲</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="69"/>
        <source>Detect from tags, names or values</source>
        <translation>由标签、文件名或数值自动检测</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="69"/>
        <source>Linear power</source>
        <translation>线性功率</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="69"/>
        <source>Linear amplitude</source>
        <translation>线性振幅</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="69"/>
        <source>dB</source>
        <translation>dB</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="73"/>
        <source>Reference acquisition time, UTC (empty: from name/tags)</source>
        <translation>参考影像获取时间，UTC（留空：取自文件名/标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="76"/>
        <source>Secondary acquisition time, UTC (empty: from name/tags)</source>
        <translation>次影像获取时间，UTC（留空：取自文件名/标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="79"/>
        <source>Matching window (px)</source>
        <translation>匹配窗口（像元）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="82"/>
        <source>Output grid resolution (m)</source>
        <translation>输出网格分辨率 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="85"/>
        <source>Maximum speed (m/d)</source>
        <translation>最大流速 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="88"/>
        <source>Cross-correlation threshold</source>
        <translation>互相关阈值</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="91"/>
        <source>Averaging box (nodes, odd; 1 = off)</source>
        <translation>平均窗口（节点数，奇数；1 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="94"/>
        <source>Hole-filling radius (nodes; 0 = off)</source>
        <translation>空洞填补半径（节点数；0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="101"/>
        <source>Normalised median test threshold (0 = off)</source>
        <translation>归一化中值检验阈值（0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="104"/>
        <source>Minimum peak ratio (peak / mean |NCC|; 0 = off)</source>
        <translation>最小峰值比（峰值 / |NCC| 均值；0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="107"/>
        <source>Speckle low-pass sigma (px; 0 = off)</source>
        <translation>斑点噪声低通 sigma（像元；0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="114"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="141"/>
        <source>Backscatter scale of {}: {} ({})</source>
        <translation>{} 的后向散射量纲：{}（{}）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="142"/>
        <source>Δt = {:.3f} d; search range ±{} px; node spacing {} px ({:.1f} m); window {} px</source>
        <translation>Δt = {:.3f} 天；搜索范围 ±{} 像元；节点间距 {} 像元（{:.1f} m）；窗口 {} 像元</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="147"/>
        <source>Rejected ({}): {} of {} nodes</source>
        <translation>剔除（{}）：{} / {} 个节点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="35"/>
        <source>Amplitude offset tracking of two geocoded (terrain-corrected) Sentinel-1 GRD images of the same track, as in ESA SNAP's Offset Tracking, giving a glacvel velocity product.

The backscatter (linear power, linear amplitude or dB; detected from tags, names or values when set to Detect) is converted to log amplitude and lightly low-passed against speckle (SPECKLE_SIGMA px). Matching windows of WINDOW px (128 as in the published chain) centred on nodes every STEP px are matched by normalised cross-correlation within a search range of MAX_SPEED x time baseline; sub-pixel by 16x oversampling of the correlation peak.
Rejected: correlation peak below CC_THRESHOLD (SNAP 0.1), faster than MAX_SPEED, normalised-median-test outliers (MEDIAN_TEST, 0 = off), and, optionally, a peak ratio (peak / mean |NCC| over the search area) below PEAK_RATIO. Optional SNAP-like averaging over AVERAGE_BOX x AVERAGE_BOX nodes (1 = off; SNAP uses 5) and hole filling within FILL_RADIUS nodes (0 = off; SNAP uses 4). Both are off by default so that the product holds measurements only.
Output grid: OUTPUT_RESOLUTION m (default 30 m). Nodes every STEP px; STEP 0 = the output resolution but at least WINDOW/8 px (128 px windows 3 px apart would overlap by 98 % and only multiply the run time); output cells between nodes are interpolated bilinearly (flag +4).
Bands: v, vx, vy (m/d, x east, y north), dx, dy (m over the baseline), quality (NCC peak of the measurement; empty for filled cells) and flag: 0 = measurement, 1 = averaged, 2 = hole-filled, +4 = interpolated between nodes. Only flag 0 is a raw measurement.
Times come from REFERENCE_TIME/SECONDARY_TIME or from Sentinel-1 names (S1A_IW_GRDH_1SDV_YYYYMMDDTHHMMSS_...). Orbit/terrain residual offsets are not removed: apply a stable-ground correction afterwards.</source>
        <translation>对同一轨道的两景已地理编码（地形校正）的 Sentinel-1 GRD 影像进行强度偏移量跟踪，方法同 ESA SNAP 的 Offset Tracking，输出 glacvel 流速产品。

后向散射（线性功率、线性振幅或 dB；设为“自动检测”时由标签、文件名或数值判断）先转换为对数振幅，并做轻度低通滤波以抑制斑点噪声（SPECKLE_SIGMA 像元）。以每隔 STEP 像元的节点为中心、大小为 WINDOW 像元（与已发表流程一致为 128）的匹配窗口，在 MAX_SPEED × 时间基线 的搜索范围内用归一化互相关匹配；亚像元精度由相关峰 16 倍过采样得到。
剔除：相关峰低于 CC_THRESHOLD（SNAP 为 0.1）、快于 MAX_SPEED、归一化中值检验异常值（MEDIAN_TEST，0 = 关闭），以及可选的峰值比（峰值 / 搜索区内 |NCC| 均值）低于 PEAK_RATIO。可选类似 SNAP 的 AVERAGE_BOX × AVERAGE_BOX 节点平均（1 = 关闭；SNAP 用 5）和 FILL_RADIUS 节点内的空洞填补（0 = 关闭；SNAP 用 4）。两者默认关闭，使产品只含实测值。
输出网格：OUTPUT_RESOLUTION 米（默认 30 m）。节点每隔 STEP 像元；STEP 为 0 = 输出分辨率，但至少 WINDOW/8 像元（相距 3 像元的 128 像元窗口重叠 98 %，只会成倍增加运行时间）；节点之间的输出像元用双线性插值（flag +4）。
波段：v、vx、vy（m/d，x 向东，y 向北），dx、dy（基线内位移，米），quality（实测值的 NCC 峰值；填补像元为空）和 flag：0 = 实测，1 = 平均，2 = 填补，+4 = 节点间插值。只有 flag 0 是原始实测值。
时间取自 REFERENCE_TIME/SECONDARY_TIME 或 Sentinel-1 文件名（S1A_IW_GRDH_1SDV_YYYYMMDDTHHMMSS_...）。轨道/地形残余偏移未去除：之后请做稳定地表校正。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_sar.py" line="98"/>
        <source>Node spacing (px; 0 = auto)</source>
        <translation>节点间距（像元；0 = 自动）</translation>
    </message>
</context>
<context>
    <name>SceneChooserDialog</name>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="483"/>
        <source>Glacier velocity — scenes and pairs</source>
        <translation>冰川流速 — 影像与像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="494"/>
        <source>Scene folder</source>
        <translation>影像文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="498"/>
        <source>Scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="504"/>
        <source>Scenes (tick the ones to use)</source>
        <translation>影像（勾选要使用的）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="537"/>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>Acquired (UTC)</source>
        <translation>获取时间 (UTC)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>Path/row or tile</source>
        <translation>轨道号/行号或图幅</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>Cloud %</source>
        <translation>云量 %</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>CRS</source>
        <translation>坐标参考系</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>Overlap with map %</source>
        <translation>与地图范围重叠 %</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="507"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="519"/>
        <source>Maximum cloud cover %</source>
        <translation>最大云量 %</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="524"/>
        <source>Tick all usable</source>
        <translation>勾选全部可用影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="528"/>
        <source>Propose pairs</source>
        <translation>推荐像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="534"/>
        <source>Pairs</source>
        <translation>像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="537"/>
        <source>First scene</source>
        <translation>第一景</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="537"/>
        <source>Second scene</source>
        <translation>第二景</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="537"/>
        <source>Δt (days)</source>
        <translation>Δt（天）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="537"/>
        <source>Why</source>
        <translation>依据</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="547"/>
        <source>First</source>
        <translation>第一景</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="549"/>
        <source>Second</source>
        <translation>第二景</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="551"/>
        <source>Add pair</source>
        <translation>添加像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="554"/>
        <source>Remove selected pairs</source>
        <translation>删除所选像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="623"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="567"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="572"/>
        <source>Stable-ground polygons (optional)</source>
        <translation>稳定地表多边形（可选）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="578"/>
        <source>algorithm default</source>
        <translation>算法默认值</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="582"/>
        <source>Fastest expected speed; sets the search range of the correlation</source>
        <translation>预计最大流速；决定相关匹配的搜索范围</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="583"/>
        <source>Maximum speed</source>
        <translation>最大流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="604"/>
        <source>Add flow arrows to monthly products</source>
        <translation>为月度产品添加流向箭头</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="626"/>
        <source>Cancel run</source>
        <translation>取消运行</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="630"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="664"/>
        <source>No raster files found in {}.</source>
        <translation>在 {} 中未找到栅格文件。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="666"/>
        <source>{} scenes found, {} usable, {} cannot be used (see Status).</source>
        <translation>找到 {} 景影像，{} 景可用，{} 景无法使用（见“状态”列）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="687"/>
        <source>usable</source>
        <translation>可用</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="737"/>
        <source>Tick at least two usable scenes to propose pairs.</source>
        <translation>请至少勾选两景可用影像再推荐像对。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="756"/>
        <source>{} pairs proposed; edit them below.</source>
        <translation>已推荐 {} 个像对；可在下方编辑。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="774"/>
        <source>Choose two scanned scenes.</source>
        <translation>请选择两景已扫描的影像。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="779"/>
        <source>Pair refused: {}</source>
        <translation>像对被拒绝：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="782"/>
        <source>This pair is already in the list.</source>
        <translation>该像对已在列表中。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="784"/>
        <source>added by hand</source>
        <translation>手动添加</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="788"/>
        <source>Pair added (Δt = {:.2f} days).</source>
        <translation>已添加像对（Δt = {:.2f} 天）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="821"/>
        <source>A run is still going; cancel it or wait.</source>
        <translation>仍有任务在运行；请取消或等待。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="831"/>
        <source>Processing algorithm(s) not available: {}</source>
        <translation>Processing 算法不可用：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="834"/>
        <source>glacvel run {}</source>
        <translation>glacvel 运行 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="855"/>
        <source>Run stopped: {}</source>
        <translation>运行已停止：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="858"/>
        <source>Done: {} layers loaded into group “{}”.</source>
        <translation>完成：已将 {} 个图层加载到图层组“{}”。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/io/catalogue.py" line="138"/>
        <source>cannot read: {}</source>
        <translation>无法读取：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/io/catalogue.py" line="141"/>
        <source>a velocity product, not a scene</source>
        <translation>这是流速产品，不是影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/io/catalogue.py" line="150"/>
        <source>no coordinate reference system</source>
        <translation>没有坐标参考系</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/io/catalogue.py" line="152"/>
        <source>no acquisition time (no Landsat/Sentinel name, MTL file or date tag)</source>
        <translation>没有获取时间（无 Landsat/Sentinel 文件名、MTL 文件或日期标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/io/catalogue.py" line="181"/>
        <source>{} is not a folder; choose the folder that holds the scenes</source>
        <translation>{} 不是文件夹；请选择存放影像的文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="358"/>
        <source>no pairs: tick scenes and press Propose pairs, or add pairs</source>
        <translation>没有像对：请勾选影像并点击“推荐像对”，或手动添加像对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="360"/>
        <source>choose an output folder</source>
        <translation>请选择输出文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="194"/>
        <source>no correlation algorithm for sensor {}</source>
        <translation>没有适用于传感器 {} 的相关匹配算法</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="204"/>
        <source>correlate {}</source>
        <translation>相关匹配 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="209"/>
        <source>stable-ground correction {}</source>
        <translation>稳定地表校正 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="213"/>
        <source>monthly products</source>
        <translation>月度产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="277"/>
        <source>Glacier velocity: {} steps</source>
        <translation>冰川流速：{} 个步骤</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="415"/>
        <source>canceled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="84"/>
        <source>first and last scene of {}</source>
        <translation>{} 的首景与末景</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="86"/>
        <source>only usable scene of {}; bridged to the next</source>
        <translation>{} 唯一可用的影像；与下一景配对</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="88"/>
        <source>Sentinel-1 {}-day baseline</source>
        <translation>Sentinel-1 {} 天时间基线</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="90"/>
        <source>consecutive UAV surveys</source>
        <translation>相邻两次无人机测量</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="127"/>
        <source>cloud cover {} % is above the limit of {} %</source>
        <translation>云量 {} % 超过上限 {} %</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="136"/>
        <source>no other usable {} scene of footprint {}</source>
        <translation>没有其他可用的 {} 影像（覆盖范围 {}）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="139"/>
        <source>no Sentinel-1 scene of the same orbit {} days apart (± 1 day)</source>
        <translation>同一轨道上没有相隔 {} 天（± 1 天）的 Sentinel-1 影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="143"/>
        <source>the nearest usable scene is {} days away (bridges reach 48 days)</source>
        <translation>最近的可用影像相隔 {} 天（跨月配对最多 48 天）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="146"/>
        <source>no later survey of the same site</source>
        <translation>同一地点没有更晚的测量</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="578"/>
        <source>algorithm default ({} m/d)</source>
        <translation>算法默认值（{} m/d）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="591"/>
        <source>Correlation method of optical pairs (glacvel:optical_correlation METHOD)</source>
        <translation>光学像对的相关匹配方法（glacvel:optical_correlation 的 METHOD）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="593"/>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="599"/>
        <source>Window (chip) size of optical pairs; Sentinel-1 and UAV pairs keep their algorithm's window</source>
        <translation>光学像对的窗口（影像块）大小；Sentinel-1 与无人机像对使用各自算法的窗口</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="601"/>
        <source>Optical correlation</source>
        <translation>光学相关匹配</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="745"/>
        <source>No pair matches the rules (optical: first and last usable scene of a month, cloud cover ≤ {} %; Sentinel-1: 24 or 36 days).</source>
        <translation>没有符合规则的像对（光学：每月首末两景可用影像，云量 ≤ {} %；Sentinel-1：24 或 36 天）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="758"/>
        <source>Left out: {}.</source>
        <translation>未使用：{}。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="751"/>
        <source>Raise Maximum cloud cover % or add pairs by hand.</source>
        <translation>请提高“最大云量 %”，或手动添加像对。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="753"/>
        <source>Add pairs by hand.</source>
        <translation>请手动添加像对。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="289"/>
        <source>step {}/{} ({}): {}</source>
        <translation>第 {}/{} 步（{}）：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="306"/>
        <source>started</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="395"/>
        <source>Glacier velocity dataset</source>
        <translation>冰川流速数据集</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="602"/>
        <source>Load the monthly products (YYYYMM.tif)</source>
        <translation>加载月度产品（YYYYMM.tif）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/scene_chooser.py" line="842"/>
        <source>Running {} pairs in the background…</source>
        <translation>正在后台运行 {} 个像对…</translation>
    </message>
</context>
<context>
    <name>StableGroundCorrection</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="134"/>
        <source>Stable-ground correction</source>
        <translation>稳定地表校正</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="161"/>
        <source>Offset model</source>
        <translation>偏移模型</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="161"/>
        <source>constant (median)</source>
        <translation>常数（中位数）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="161"/>
        <source>plane</source>
        <translation>平面</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="164"/>
        <source>Hold-out checkerboard block (pixels)</source>
        <translation>留出检验棋盘格块大小（像元）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="172"/>
        <source>Corrected velocity product</source>
        <translation>校正后的流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="190"/>
        <source>Stable ground: {}</source>
        <translation>稳定地表：{}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="137"/>
        <source>Removes the co-registration offset measured on stable (ice-free) ground from a velocity product.

Stable ground: STABLE_GROUND polygons; or, without them, everything outside GLACIER_OUTLINES farther than BUFFER metres; or, with neither, automatically the slowest 25 % of good-quality pixels (as autoRIFT), measured about the stable offset.
MODEL: constant = median offset of vx and vy (default); plane = offset varying linearly across the scene, refused when stable ground does not spread across the scene (its spread along the narrowest direction must be at least half that of a scene-filling cover).
Honest errors: stable pixels are split by a checkerboard of 16x16-pixel blocks; the offset is fitted on one colour and the corrected residuals are evaluated on the other, so the reported mean and spread are not zero by construction.

Output: the corrected product (v, vx, vy, dx, dy recomputed; other bands kept) with vx_error, vy_error (held-out RMSE, m/d; ERROR_MEASURE robust: sqrt(median^2 + NMAD^2)) and v_error bands, and tags SG_OFFSET_VX/VY, SG_MODEL, SG_SOURCE and the held-out statistics.</source>
        <translation>从流速产品中去除在稳定（无冰）地表上测得的配准偏移。

稳定地表：STABLE_GROUND 多边形；若未给出，则为 GLACIER_OUTLINES 之外、距边界超过 BUFFER 米的全部区域；两者都未给出时，自动取质量良好像元中最慢的 25 %（同 autoRIFT），以稳定偏移为中心度量。
MODEL：constant = vx、vy 的中位数偏移（默认）；plane = 在影像范围内线性变化的偏移，若稳定地表未铺开于整景（其沿最窄方向的分布范围须至少为布满整景时的一半）则拒绝。
如实的误差：稳定像元按 16×16 像元块的棋盘格划分；在一种颜色的块上拟合偏移，在另一种颜色的块上评估校正后的残差，因此报告的均值和离散度并非按构造为零。

输出：校正后的产品（重新计算 v、vx、vy、dx、dy；其余波段保留），附 vx_error、vy_error（留出样本 RMSE，m/d；ERROR_MEASURE 选稳健时为 sqrt(median^2 + NMAD^2)）和 v_error 波段，以及标签 SG_OFFSET_VX/VY、SG_MODEL、SG_SOURCE 和留出样本统计量。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="157"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="157"/>
        <source>Stable-ground polygons</source>
        <translation>稳定地表多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="157"/>
        <source>Glacier outlines (stable ground = outside, minus buffer)</source>
        <translation>冰川边界（稳定地表 = 边界外减去缓冲区）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="157"/>
        <source>Buffer around glacier outlines (m)</source>
        <translation>冰川边界缓冲距离 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="169"/>
        <source>Per-pixel error from</source>
        <translation>逐像元误差来源</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="169"/>
        <source>RMSE on held-out stable pixels</source>
        <translation>留出稳定像元上的 RMSE</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="169"/>
        <source>robust RMSE: sqrt(median^2 + NMAD^2)</source>
        <translation>稳健 RMSE：sqrt(median^2 + NMAD^2)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="186"/>
        <source>No stable-ground polygons or glacier outlines given: picking stable ground automatically</source>
        <translation>未给出稳定地表多边形或冰川边界：自动选取稳定地表</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="197"/>
        <source>Offset vx {:.4f} {u}, vy {:.4f} {u} ({} model, {} fit pixels); held-out residual mean {:.4f}/{:.4f}, std {:.4f}/{:.4f}, NMAD {:.4f}/{:.4f} {u} ({} pixels)</source>
        <translation>偏移 vx {:.4f} {u}，vy {:.4f} {u}（{} 模型，{} 个拟合像元）；留出样本残差均值 {:.4f}/{:.4f}，标准差 {:.4f}/{:.4f}，NMAD {:.4f}/{:.4f} {u}（{} 个像元）</translation>
    </message>
</context>
<context>
    <name>StableGroundError</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="229"/>
        <source>Stable-ground error statistics</source>
        <translation>稳定地表误差统计</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="255"/>
        <source>Glacier outline buffered inward (GLAFT metric 2)</source>
        <translation>向内缓冲的冰川边界（GLAFT 指标 2）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="258"/>
        <source>KDE contour level (sigma)</source>
        <translation>核密度等值线水平 (sigma)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="267"/>
        <source>Stable-ground statistics</source>
        <translation>稳定地表统计</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="270"/>
        <source>Stable-ground report</source>
        <translation>稳定地表报告</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="270"/>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="277"/>
        <source>Product with error bands</source>
        <translation>带误差波段的产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="300"/>
        <source>Stable ground: {} ({} pixels)</source>
        <translation>稳定地表：{}（{} 个像元）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="232"/>
        <source>Measures the error of a velocity product on stable (ice-free) ground, where the true velocity is zero. Stable ground as in Stable-ground correction (polygons, outside glacier outlines minus a buffer, or automatic).

Statistics of vx, vy and v (m/d): n, mean, median, standard deviation, NMAD (1.4826 x median absolute deviation), RMSE and a normality test (D'Agostino-Pearson). GLAFT metric 1 (Zheng et al. 2023): half-ranges DELTA_U, DELTA_V of the 2-sigma contour of an Epanechnikov kernel density of (vx, vy), an about-2-sigma measure. GLAFT metric 2, when GLACIER_INTERIOR (a glacier outline buffered inward, GLAFT uses 600 m) is given: the same on strain rates rotated into the flow direction; DELTA_XY_STRAIN is the along-flow shear half-range in 1/d (physical units; GLAFT's own numbers are 8 times larger).

Outputs: a statistics table, an HTML report (histograms, vx-vy scatter with the 2-sigma contour) and OUTPUT_ERROR, a copy of the product with vx_error, vy_error (stable-ground RMSE about zero, m/d, which includes outliers and any uncorrected offset; ERROR_MEASURE robust: sqrt(median^2 + NMAD^2)) and v_error bands added (replacing any present), for fusion.</source>
        <translation>在真实流速为零的稳定（无冰）地表上度量流速产品的误差。稳定地表的确定方式同“稳定地表校正”（多边形、冰川边界外减去缓冲区，或自动选取）。

vx、vy 和 v (m/d) 的统计量：n、均值、中位数、标准差、NMAD（1.4826 × 中位数绝对偏差）、RMSE 以及正态性检验（D'Agostino-Pearson）。GLAFT 指标 1（Zheng 等，2023）：(vx, vy) 的 Epanechnikov 核密度 2σ 等值线的半幅 DELTA_U、DELTA_V，约为 2σ 量级。给出 GLACIER_INTERIOR（向内缓冲的冰川边界，GLAFT 用 600 m）时计算 GLAFT 指标 2：对旋转到流动方向的应变率做同样计算；DELTA_XY_STRAIN 为沿流向剪切应变率的半幅，单位 1/d（物理单位；GLAFT 自身给出的数值大 8 倍）。

输出：统计表、HTML 报告（直方图、带 2σ 等值线的 vx–vy 散点图），以及 OUTPUT_ERROR——添加了 vx_error、vy_error（相对零值的稳定地表 RMSE，m/d，包含异常值和任何未校正的偏移；ERROR_MEASURE 选稳健时为 sqrt(median^2 + NMAD^2)）和 v_error 波段（替换已有波段）的产品副本，供融合使用。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="251"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="251"/>
        <source>Stable-ground polygons</source>
        <translation>稳定地表多边形</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="251"/>
        <source>Glacier outlines (stable ground = outside, minus buffer)</source>
        <translation>冰川边界（稳定地表 = 边界外减去缓冲区）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="251"/>
        <source>Buffer around glacier outlines (m)</source>
        <translation>冰川边界缓冲距离 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="264"/>
        <source>Per-pixel error from</source>
        <translation>逐像元误差来源</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="264"/>
        <source>RMSE on stable ground (includes outliers and offset)</source>
        <translation>稳定地表上的 RMSE（含异常值和偏移）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="264"/>
        <source>robust RMSE: sqrt(median^2 + NMAD^2)</source>
        <translation>稳健 RMSE：sqrt(median^2 + NMAD^2)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="286"/>
        <source>No stable-ground polygons or glacier outlines given: picking stable ground automatically</source>
        <translation>未给出稳定地表多边形或冰川边界：自动选取稳定地表</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="383"/>
        <source>Stable ground: mean vx {:.4f}, vy {:.4f}; std {:.4f}, {:.4f}; NMAD {:.4f}, {:.4f} {u}; GLAFT delta_u {:.4f}, delta_v {:.4f} {u}</source>
        <translation>稳定地表：均值 vx {:.4f}，vy {:.4f}；标准差 {:.4f}，{:.4f}；NMAD {:.4f}，{:.4f} {u}；GLAFT delta_u {:.4f}，delta_v {:.4f} {u}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_stable_ground.py" line="296"/>
        <source>only {} stable-ground pixels with valid vx and vy; at least {} are needed: give larger stable-ground polygons or a smaller buffer</source>
        <translation>只有 {} 个 vx 和 vy 有效的稳定地表像元；至少需要 {} 个：请给出更大的稳定地表多边形或更小的缓冲区</translation>
    </message>
</context>
<context>
    <name>UavFeatureTracking</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="34"/>
        <source>UAV feature tracking (orthomosaics)</source>
        <translation>无人机特征跟踪（正射影像）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="37"/>
        <source>Feature tracking of two UAV orthomosaics as in ImGRAFT (Messerli &amp; Grinsted 2015): square templates of TEMPLATE_SIZE metres cut from the reference on a regular grid every SPACING metres are searched for in the secondary within MAX_SPEED x time baseline, by normalised cross-correlation (NCC) or orientation correlation; sub-pixel by 16x oversampling of the correlation peak.

Inputs may be RGB (converted to luminance) or single band, on different grids and extents (the secondary is warped onto the reference grid, or onto a coarser work grid of WORK_RESOLUTION metres, which makes large centimetre mosaics faster). Times come from REFERENCE_TIME/SECONDARY_TIME or the files' date tags (EXIF DateTimeOriginal, TIFFTAG_DATETIME).
Rejected: correlation below MIN_PEAK, peak ratio (peak / mean |correlation|) below MIN_PEAK_RATIO, peaks at the limit of the search area, normalised-median-test outliers on the point grid (MEDIAN_TEST, 0 = off).
Outputs: the tracked points (vx, vy, v in m/d, x east, y north; dx, dy in metres; quality = correlation peak; peak_ratio) and a velocity product on a TARGET_RESOLUTION grid (default 30 m): the median of the valid points in each cell (robust block aggregation) with a count band. Images are read window by window, so memory stays bounded for large orthomosaics.</source>
        <translation>按 ImGRAFT（Messerli &amp; Grinsted，2015）的方法对两幅无人机正射影像做特征跟踪：在参考影像上按每隔 SPACING 米的规则网格截取边长 TEMPLATE_SIZE 米的方形模板，在次影像中 MAX_SPEED × 时间基线 的范围内以归一化互相关 (NCC) 或方向相关搜索；亚像元精度由相关峰 16 倍过采样得到。

输入可以是 RGB（转换为亮度）或单波段，网格和范围可以不同（次影像会重采样到参考影像网格，或 WORK_RESOLUTION 米的较粗工作网格，使厘米级大幅拼接影像处理更快）。时间取自 REFERENCE_TIME/SECONDARY_TIME 或文件的日期标签（EXIF DateTimeOriginal、TIFFTAG_DATETIME）。
剔除：相关值低于 MIN_PEAK、峰值比（峰值 / |相关| 均值）低于 MIN_PEAK_RATIO、峰值位于搜索区边缘，以及点网格上的归一化中值检验异常值（MEDIAN_TEST，0 = 关闭）。
输出：跟踪点（vx、vy、v 单位 m/d，x 向东，y 向北；dx、dy 单位米；quality = 相关峰值；peak_ratio）以及 TARGET_RESOLUTION 网格（默认 30 m）上的流速产品：每个像元内有效点的中位数（稳健块聚合）并附 count 波段。影像逐窗口读取，因此大幅正射影像的内存占用也有上限。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="58"/>
        <source>Reference (earlier) orthomosaic</source>
        <translation>参考（较早）正射影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="60"/>
        <source>Secondary (later) orthomosaic</source>
        <translation>次影像（较晚）正射影像</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="62"/>
        <source>Reference acquisition time, UTC (empty: from tags)</source>
        <translation>参考影像获取时间，UTC（留空：取自标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="65"/>
        <source>Secondary acquisition time, UTC (empty: from tags)</source>
        <translation>次影像获取时间，UTC（留空：取自标签）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="68"/>
        <source>Template size (m)</source>
        <translation>模板大小 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="71"/>
        <source>Grid spacing of the templates (m)</source>
        <translation>模板网格间距 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="74"/>
        <source>Maximum speed (m/d)</source>
        <translation>最大流速 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="77"/>
        <source>Similarity</source>
        <translation>相似性度量</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="77"/>
        <source>Normalised cross-correlation</source>
        <translation>归一化互相关</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="77"/>
        <source>Orientation correlation</source>
        <translation>方向相关</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="81"/>
        <source>Velocity product resolution (m)</source>
        <translation>流速产品分辨率 (m)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="85"/>
        <source>Minimum correlation peak</source>
        <translation>最小相关峰值</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="89"/>
        <source>Minimum peak ratio (0 = off)</source>
        <translation>最小峰值比（0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="92"/>
        <source>Normalised median test threshold (0 = off)</source>
        <translation>归一化中值检验阈值（0 = 关闭）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="95"/>
        <source>Work grid resolution (m; 0 = reference pixels)</source>
        <translation>工作网格分辨率（m；0 = 参考影像像元）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="102"/>
        <source>Tracked points</source>
        <translation>跟踪点</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="104"/>
        <source>Velocity product</source>
        <translation>流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="126"/>
        <source>Δt = {:.3f} d; work pixel {:.3f} m; template {} px; search range ±{} px</source>
        <translation>Δt = {:.3f} 天；工作像元 {:.3f} m；模板 {} 像元；搜索范围 ±{} 像元</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_uav.py" line="130"/>
        <source>Rejected ({}): {} of {} points</source>
        <translation>剔除（{}）：{} / {} 个点</translation>
    </message>
</context>
<context>
    <name>ValidateVelocity</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="502"/>
        <source>Validate velocity against a reference</source>
        <translation>用参考数据验证流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="505"/>
        <source>Compares a velocity product (fused or single source) and, optionally, further products (SOURCES) with a reference: a UAV velocity raster inside polygons, or GNSS points (vx/vy in m/d, or start/end positions and dates). Every product is sampled on the grid of INPUT. Reports n, bias (mean), standard deviation, RMSE and NMAD of the speed difference (product − reference) and of the vx/vy components, as a table and scatter/histogram figures in the HTML report.</source>
        <translation>将一个流速产品（融合或单一数据源）以及可选的其他产品 (SOURCES) 与参考数据比较：参考数据为多边形内的无人机流速栅格，或 GNSS 点（vx/vy 单位 m/d，或起止位置与日期）。所有产品都在 INPUT 的网格上采样。报告流速大小差值（产品 − 参考）及 vx/vy 分量差值的 n、偏差（均值）、标准差、RMSE 和 NMAD，以表格和 HTML 报告中的散点图/直方图给出。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="514"/>
        <source>Velocity product to validate</source>
        <translation>待验证的流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="516"/>
        <source>Further products to compare (e.g. the single sources)</source>
        <translation>其他参与比较的产品（如各单一数据源）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="520"/>
        <source>Validation report</source>
        <translation>验证报告</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="520"/>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="543"/>
        <source>Velocity validation</source>
        <translation>流速验证</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="527"/>
        <source>INPUT is not a raster layer; give a velocity product</source>
        <translation>INPUT 不是栅格图层；请给出流速产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_fusion.py" line="537"/>
        <source>{}: n={}, bias {:+.4f}, std {:.4f}, RMSE {:.4f}, NMAD {:.4f} m/d (speed); components RMSE {:.4f} m/d</source>
        <translation>{}：n={}，偏差 {:+.4f}，标准差 {:.4f}，RMSE {:.4f}，NMAD {:.4f} m/d（流速大小）；分量 RMSE {:.4f} m/d</translation>
    </message>
</context>
<context>
    <name>VelocityDataset</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="84"/>
        <source>Velocity dataset (folder of scenes → monthly products)</source>
        <translation>流速数据集（影像文件夹 → 月度产品）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="120"/>
        <source>Scene folder (searched recursively)</source>
        <translation>影像文件夹（递归搜索）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="123"/>
        <source>Start (UTC; empty = first scene)</source>
        <translation>开始时间（UTC；留空 = 第一景）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="125"/>
        <source>End (UTC; empty = last scene)</source>
        <translation>结束时间（UTC；留空 = 最后一景）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="127"/>
        <source>Area (polygons: scenes and monthly cells inside them)</source>
        <translation>区域（多边形：只处理其中的影像和月度格网单元）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="130"/>
        <source>Maximum cloud cover [%]</source>
        <translation>最大云量 [%]</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="133"/>
        <source>Pair list (CSV: reference, secondary; empty = proposed pairs)</source>
        <translation>像对列表（CSV：reference、secondary；留空 = 自动建议的像对）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="136"/>
        <source>Maximum speed [m/d] (sets the search range)</source>
        <translation>最大流速 [m/d]（决定搜索范围）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="141"/>
        <source>Correlation method</source>
        <translation>相关匹配方法</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="145"/>
        <source>Window [px]</source>
        <translation>窗口 [像元]</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="148"/>
        <source>Stable-ground polygons (co-registration and error)</source>
        <translation>稳定地表多边形（配准校正与误差）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="151"/>
        <source>Fusion weights by source, e.g. L8=0.6,S2=0.4 (empty: inverse variance)</source>
        <translation>按数据源的融合权重，例如 L8=0.6,S2=0.4（留空：逆方差）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="154"/>
        <source>GNSS reference: folder of station files (weights fitted per month; empty: WEIGHTS)</source>
        <translation>GNSS 参考：站点文件所在文件夹（按月拟合权重；留空：使用 WEIGHTS）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="158"/>
        <source>GNSS file layout</source>
        <translation>GNSS 文件格式</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="161"/>
        <source>CRS of the GNSS coordinates (empty: the monthly grid's)</source>
        <translation>GNSS 坐标的坐标参考系（留空：月度格网的坐标参考系）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="172"/>
        <source>Monthly grid resolution [m]</source>
        <translation>月度格网分辨率 [m]</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="175"/>
        <source>Local Dask worker processes (0 = the machine's cores)</source>
        <translation>本地 Dask 工作进程数（0 = 本机核数）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="178"/>
        <source>Dask scheduler address (empty = local cluster), e.g. tcp://host:8786</source>
        <translation>Dask 调度器地址（留空 = 本地集群），例如 tcp://host:8786</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="181"/>
        <source>Scheduler connection timeout [s]</source>
        <translation>调度器连接超时 [s]</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="186"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="188"/>
        <source>Monthly products</source>
        <translation>月度产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="189"/>
        <source>Manifest</source>
        <translation>清单</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="190"/>
        <source>Dataset report</source>
        <translation>数据集报告</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="193"/>
        <source>Months written</source>
        <translation>已写出的月份</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="194"/>
        <source>Months rebuilt</source>
        <translation>重建的月份</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="241"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="242"/>
        <source>{} of {} pairs done ({} run now), {} failed, {} skipped; months {} (rebuilt: {}); manifest {}</source>
        <translation>已完成 {} / {} 个像对（本次运行 {} 个），失败 {} 个，跳过 {} 个；月份 {}（重建：{}）；清单 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="87"/>
        <source>Processes a whole folder of scenes into a velocity dataset: the scenes are found recursively and read as in the scene chooser (Landsat-8/9, Sentinel-2, Sentinel-1 and UAV rasters; times from product names, MTL files or tags), filtered by START/END, MAX_CLOUD and AREA, and paired by the chooser's rules (first and last usable scene of each month, bridged to the next scene within 48 days; Sentinel-1 24/36 days) or by a CSV pair list (columns reference, secondary). Every optical pair is correlated (METHOD, WINDOW; MAX_SPEED in m/d sets the search range; 30 m output grid), every Sentinel-1 pair offset-tracked and every UAV pair feature-tracked (as Sentinel-1 offset tracking and UAV feature tracking with their defaults) into OUTPUT_FOLDER/pairs; with STABLE_GROUND polygons the co-registration offset is removed and error bands added. Monthly products OUTPUT_FOLDER/monthly/YYYYMM.tif (v, vx, vy, v_error, count, ...) are built as by Monthly velocity, on a grid of RESOLUTION metres (over AREA when given, no data outside it), fused with WEIGHTS ('L8=0.6,S2=0.4'; empty = inverse variance), or with weights fitted per month against GNSS stations (REFERENCE_GNSS: a folder of station files in REFERENCE_LAYOUT, coordinates in REFERENCE_CRS, as Import GNSS stations reads them; the fallbacks, tags and leave-one-station-out validation of Monthly velocity, table monthly/monthly_weights.csv), or against reference velocity rasters (REFERENCE_RASTER, e.g. UAV velocity with the START_TIME/END_TIME of its survey period; one raster per period) inside REFERENCE_POLYGONS (each polygon one held-out group), as Monthly velocity does with them. manifest.csv lists every scene and pair with its status (done, failed, skipped) and the reason, Δt, offsets, stable-ground NMAD, valid fraction, run time and worker; report.html summarises the months.

One Dask task per pair, on WORKERS local processes (0 = the machine's cores) or on the Dask cluster at SCHEDULER (e.g. tcp://host:8786; scenes and output folder on shared storage). A failed pair never stops the others; a worker that dies has its pairs re-run elsewhere. Running the job again skips every complete product (checked), re-runs failed or missing pairs and rebuilds only the months they touch.</source>
        <translation>将整个影像文件夹处理为流速数据集：递归查找影像，并按影像与像对选择器的方式读取（Landsat-8/9、Sentinel-2、Sentinel-1 和无人机栅格；时间取自产品名、MTL 文件或标签），按 START/END、MAX_CLOUD 和 AREA 筛选，并按选择器的规则配对（每月首景与末景，48 天内与下一景衔接；Sentinel-1 为 24/36 天），或按 CSV 像对列表（列 reference、secondary）配对。每个光学像对进行相关匹配（METHOD、WINDOW；以 m/d 为单位的 MAX_SPEED 决定搜索范围；30 m 输出格网），每个 Sentinel-1 像对做偏移量跟踪，每个无人机像对做特征跟踪（与“Sentinel-1 偏移量跟踪”“无人机特征跟踪”相同，使用其默认参数），结果写入 OUTPUT_FOLDER/pairs；给出 STABLE_GROUND 多边形时去除配准偏移并添加误差波段。月度产品 OUTPUT_FOLDER/monthly/YYYYMM.tif（v、vx、vy、v_error、count 等）按“月流速”的方式生成，格网分辨率为 RESOLUTION 米（给出 AREA 时覆盖其范围，范围外为无数据），以 WEIGHTS（'L8=0.6,S2=0.4'；留空 = 逆方差）融合，或以按月相对 GNSS 站点拟合的权重融合（REFERENCE_GNSS：站点文件所在文件夹，格式为 REFERENCE_LAYOUT，坐标系为 REFERENCE_CRS，读取方式同“导入 GNSS 站点”；退回规则、标签和留一站点验证同“月流速”，表格为 monthly/monthly_weights.csv），或以按月相对参考流速栅格拟合的权重融合（REFERENCE_RASTER，例如带有其观测时段 START_TIME/END_TIME 的无人机流速；每个时段一个栅格），仅使用 REFERENCE_POLYGONS 内的像元（每个多边形为一个留出验证组），做法同“月流速”。manifest.csv 列出每景影像和每个像对的状态（done、failed、skipped）及原因、Δt、去除的偏移、稳定地表 NMAD、有效比例、运行时间和工作进程；report.html 汇总各月情况。

每个像对一个 Dask 任务，运行在 WORKERS 个本地进程上（0 = 本机核数）或 SCHEDULER 处的 Dask 集群上（例如 tcp://host:8786；影像和输出文件夹需位于共享存储上）。失败的像对不会中断其他像对；某个工作进程退出时，其像对会在别处重新运行。再次运行该作业会跳过所有已完整的产品（经检查），重新运行失败或缺失的像对，并只重建受其影响的月份。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="164"/>
        <source>Reference velocity rasters (e.g. UAV, one per survey period; weights fitted per month)</source>
        <translation>参考流速栅格（例如无人机，每个观测时段一个；按月拟合权重）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/alg_dataset.py" line="168"/>
        <source>Reference polygons (where the reference rasters are used)</source>
        <translation>参考多边形（参考栅格的使用范围）</translation>
    </message>
</context>
<context>
    <name>VelocityTimeSeriesDock</name>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="192"/>
        <source>Glacier velocity time series</source>
        <translation>冰川流速时间序列</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="202"/>
        <source>Click on a glacier with the time-series tool.</source>
        <translation>请用时间序列工具点击冰川上的一点。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="267"/>
        <source>vx</source>
        <translation>vx</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="269"/>
        <source>vy</source>
        <translation>vy</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="216"/>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="218"/>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="237"/>
        <source>No glacvel velocity product is loaded; load products (monthly YYYYMM.tif or pair products) first.</source>
        <translation>尚未加载 glacvel 流速产品；请先加载产品（月度 YYYYMM.tif 或像对产品）。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="240"/>
        <source>No product has a value at {}.</source>
        <translation>在 {} 处没有产品有值。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="242"/>
        <source>{} of {} products have a value at {}.</source>
        <translation>{} 个产品（共 {} 个）在 {} 处有值。</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="257"/>
        <source>pair products</source>
        <translation>像对产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="257"/>
        <source>monthly products</source>
        <translation>月度产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="261"/>
        <source>v</source>
        <translation>v</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="273"/>
        <source>velocity (m/d)</source>
        <translation>流速 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="283"/>
        <source>Export time series</source>
        <translation>导出时间序列</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="283"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="294"/>
        <source>Export plot</source>
        <translation>导出图件</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/gui/timeseries.py" line="294"/>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
</context>
<context>
    <name>styling</name>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="595"/>
        <source>flow arrows</source>
        <translation>流向箭头</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="821"/>
        <source>speed (m/d)</source>
        <translation>流速大小 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="822"/>
        <source>speed error (m/d)</source>
        <translation>流速误差 (m/d)</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="960"/>
        <source>arrows</source>
        <translation>箭头</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="359"/>
        <source>fused {}</source>
        <translation>融合 {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="618"/>
        <source>m/d</source>
        <translation>m/d</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="638"/>
        <source>(2 × stable-ground NMAD)</source>
        <translation>（2 × 稳定地表 NMAD）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="633"/>
        <source>arrows: {} {} = {}</source>
        <translation>箭头：{} {} = {}</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="635"/>
        <source>none below {} {}</source>
        <translation>低于 {} {} 不绘制</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="640"/>
        <source>(2 × median v_error)</source>
        <translation>（2 × v_error 中位数）</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/styling.py" line="642"/>
        <source>(5 % of the 98th-percentile speed)</source>
        <translation>（第 98 百分位流速大小的 5 %）</translation>
    </message>
</context>
</TS>
